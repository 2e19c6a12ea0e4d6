{#- The columns of nbgrader's tables whose buttons would run notebooks (generate, autograde, generate feedback) or
    use nbgrader's exchange (release, collect, release feedback): hidden here, refused by the server. -#}
<style type="text/css">
  .assign, .release, .collect, .autograde, .generate-feedback, .release-feedback { display: none; }
</style>
<script>
$(function () {
  var hidden = ["Generate", "Release", "Collect", "Autograde", "Generate Feedback", "Release Feedback"];
  $("thead th").filter(function () { return hidden.indexOf($(this).text().trim()) >= 0; }).hide();
});
</script>
