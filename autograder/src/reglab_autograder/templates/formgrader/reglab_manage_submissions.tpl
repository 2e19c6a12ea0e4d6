{%- extends 'manage_submissions.tpl' -%}
{#- nbgrader's Manage Submissions page without the actions that run notebooks or use an exchange. -#}

{%- block head -%}
{{ super() }}
{% include 'reglab_disabled_actions.tpl' %}
{%- endblock -%}

{%- block messages -%}
<div class="alert alert-info" id="reglab-actions-note">
To grade submissions again, run <code>reglab grade</code> on this folder; for feedback, <code>reglab feedback</code>.
</div>
{%- endblock -%}
