// The risk form's running count (templates/risk/assess.html): how many questions are answered yes
// so far, announced politely. Only a help: the server scores the assessment. No storage of any kind.
const form = document.querySelector("form.risk-form");
const status = form?.querySelector(".risk-count");
if (form && status) {
  const high = Number(form.dataset.riskHigh || 0);
  const total = form.querySelectorAll(".risk-section fieldset").length;
  const update = () => {
    const yes = form.querySelectorAll('.risk-section input[type="radio"][value="yes"]:checked').length;
    const answered = form.querySelectorAll('.risk-section input[type="radio"]:checked').length;
    let text = `${yes} yes so far, ${answered} of ${total} questions answered.`;
    if (high && yes >= high) text += " That is high risk: consider a MARAC referral.";
    status.textContent = text;
  };
  status.hidden = false;
  update();
  form.addEventListener("change", (event) => {
    if (event.target.matches('.risk-section input[type="radio"]')) update();
  });
}
