/* MathJax 2 settings of the feedback pages (read by MathJax.js, loaded after this file). Everything comes from
   the mathjax/ folder next to the student's assignment folders; the Safe extension keeps a student's TeX from
   running or loading anything (\href only to http(s), no \style, \class, \cssId or raw HTML). */
window.MathJax = {
  tex2jax: {
    inlineMath: [["$", "$"], ["\\(", "\\)"]],
    displayMath: [["$$", "$$"], ["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true
  },
  "HTML-CSS": {availableFonts: ["STIX-Web"], preferredFont: "STIX-Web", webFont: "STIX-Web", imageFont: null},
  Safe: {allow: {URLs: "safe", classes: "none", cssIDs: "none", styles: "none", fontsize: "all", require: "none"},
         safeProtocols: {http: true, https: true, file: false, javascript: false, data: false}},
  showMathMenu: false,
  menuSettings: {zoom: "None"},
  messageStyle: "none"
};
