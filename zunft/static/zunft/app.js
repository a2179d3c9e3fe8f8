// Small progressive enhancements shared by every page (no inline scripts: keeps a strict CSP possible).
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
});
