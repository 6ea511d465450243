// The reader's one script: the text's highlights already link to their fact's card (#quote-{id}), which works
// without it. This marks every piece of the focused fact in the text and moves the focus to its card, on a click,
// on Enter, on a deep link and on the back button.
"use strict";
document.documentElement.classList.add("js");

function focusFact(anchor) {
  for (const element of document.querySelectorAll(".hl.focused, .card.current")) {
    element.classList.remove("focused", "current");
  }
  const card = anchor && document.getElementById(anchor);
  if (!card || !card.classList.contains("card")) return;
  const pieces = document.querySelectorAll(`.hl[data-f~="${CSS.escape(anchor)}"]`);
  for (const piece of pieces) piece.classList.add("focused");
  card.classList.add("current");
  card.focus({preventScroll: true});
  card.scrollIntoView({block: "nearest"});
  if (pieces.length) pieces[0].scrollIntoView({block: "nearest"});
}

const fromHash = () => focusFact(decodeURIComponent(location.hash.slice(1)));
window.addEventListener("hashchange", fromHash);
document.addEventListener("DOMContentLoaded", fromHash);
