{%- extends 'manage_assignments.tpl' -%}
{#- nbgrader's Manage Assignments page without the actions that run notebooks or use an exchange. -#}

{%- block head -%}
{{ super() }}
{% include 'reglab_disabled_actions.tpl' %}
<style type="text/css">.edit { display: none; }</style>
<script>$(function () { $("thead th").filter(function () { return $(this).text().trim() === "Edit"; }).hide(); });</script>
{%- endblock -%}

{%- block messages -%}
<div class="alert alert-info" id="reglab-actions-note">
Grading, feedback and hand-back run outside this page: <code>reglab grade</code> (sandboxed),
<code>reglab feedback</code>, <code>reglab handback</code>. Here, score the written answers under
<a href="{{ base_url }}/formgrader/gradebook">Manual Grading</a>.
</div>
{%- endblock -%}

{#- no "Add new assignment" and no due-date edit: the server refuses both (assignments come from the course's
    solutions/, due dates from the dates file or the course config, set up by `reglab grade`) -#}
{%- block table_footer -%}
{%- endblock -%}
