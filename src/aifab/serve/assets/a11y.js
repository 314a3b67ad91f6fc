// aifab serve: repairs three accessibility faults of Dash 4's components, re-applied
// whenever React re-renders them (axe-core reports them as serious):
// 1. dcc.Dropdown puts keyboard focus on an aria-hidden <input> (aria-hidden-focus): the
//    hidden input leaves the tab order and its visible trigger button takes its place;
// 2. dcc.RadioItems wraps native radio buttons in role=listbox/option (nested-interactive,
//    aria-input-field-name): the roles go, the native radios stay;
// 3. dcc.Slider's thumb has no accessible name: it takes the text of the field's <label>.
(function () {
  function fieldLabel(el) {
    var field = el.closest(".field");
    var lab = field && field.querySelector("label");
    return lab ? lab.textContent.trim() : "";
  }
  function repair(root) {
    root.querySelectorAll(".dash-dropdown-focus-target").forEach(function (inp) {
      if (inp.getAttribute("tabindex") !== "-1") inp.setAttribute("tabindex", "-1");
      var btn = inp.parentElement && inp.parentElement.querySelector("button.dash-dropdown");
      if (btn && btn.getAttribute("tabindex") !== "0") btn.setAttribute("tabindex", "0");
    });
    root.querySelectorAll(".dash-radioitems[role]").forEach(function (list) {
      list.removeAttribute("role");
      list.setAttribute("role", "radiogroup");
      var name = fieldLabel(list) || list.getAttribute("data-label") || "";
      if (name) list.setAttribute("aria-label", name);
    });
    // (aria-selected comes back whenever the value changes, e.g. the language set by a link)
    root.querySelectorAll(".dash-radioitems label[role], .dash-radioitems label[aria-selected]"
    ).forEach(function (opt) {
      opt.removeAttribute("role");
      opt.removeAttribute("aria-selected");
    });
    root.querySelectorAll(".dash-slider-thumb:not([aria-label])").forEach(function (th) {
      var name = fieldLabel(th);
      if (name) th.setAttribute("aria-label", name);
    });
  }
  var pending = false;
  new MutationObserver(function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; repair(document); });
  }).observe(document.documentElement, {childList: true, subtree: true, attributes: true,
                                        attributeFilter: ["role", "tabindex", "aria-hidden",
                                                          "aria-selected"]});
  document.addEventListener("DOMContentLoaded", function () { repair(document); });
})();
