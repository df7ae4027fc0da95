// Reports: a print button, shown only where this script runs (without it, the browser's own
// print command does the same; the print stylesheet hides the menus and pickers).
document.querySelectorAll("button.print").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
