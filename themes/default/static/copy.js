// Copy-to-clipboard for the BibTeX block. The button stays hidden without JavaScript,
// where the block can still be selected and copied by hand.
document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
  var target = document.getElementById(button.getAttribute("data-copy-target"));
  if (!target || !navigator.clipboard) return;
  button.hidden = false;
  var label = button.textContent;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(target.textContent).then(function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    }, function () {
      button.textContent = "Select and copy the text below";
    });
  });
});
