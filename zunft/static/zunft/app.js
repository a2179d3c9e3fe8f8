// Small progressive enhancements shared by every page (no inline scripts: keeps a strict CSP possible).
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
});
// A "Print" button (a dunning letter for the post, say).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
