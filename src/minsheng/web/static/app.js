// Charts read their options from data-chart; htmx sends the CSRF token and shows error fragments.
(function () {
  "use strict";

  function renderCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.rendered) return;
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(JSON.parse(el.dataset.chart));
      el.dataset.rendered = "1";
      new ResizeObserver(function () { chart.resize(); }).observe(el);
    });
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderCharts(document);
    if (!window.htmx) return;
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "[45]..", swap: true, error: true, target: "#toast" },
    ];
    document.body.addEventListener("htmx:configRequest", function (event) {
      event.detail.headers["X-CSRF-Token"] = csrfToken();
    });
    document.body.addEventListener("htmx:afterSwap", function (event) { renderCharts(event.detail.target); });
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm]");
    if (target && !window.confirm(target.dataset.confirm)) event.preventDefault();
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var source = document.getElementById(copy.dataset.copy);
      if (source && navigator.clipboard) navigator.clipboard.writeText(source.textContent.trim());
      copy.textContent = copy.dataset.copied || "✓";
    }
  });
})();
