// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("submit", (event) => {
  const form = event.target;
  // A form that asks first (voiding, refunding, revoking) says so in `data-confirm`.
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  // One click, one submission: the server refuses a second record anyway (the idempotency
  // key in the form), this spares the person the wait.
  for (const button of form.querySelectorAll("button[type=submit]")) {
    window.setTimeout(() => { button.disabled = true; }, 0);
  }
});
