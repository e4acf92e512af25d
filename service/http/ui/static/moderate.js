// modq moderator page: keyboard shortcuts and decisions without a reload.
// Every action also works without this script (plain form posts).
(function () {
  "use strict";

  const form = document.getElementById("decide-form");
  const help = document.getElementById("help");
  const messages = document.getElementById("messages");
  let current = 0;

  function cards() {
    return Array.from(document.querySelectorAll("li.comment"));
  }

  function focusCard(index) {
    const list = cards();
    if (list.length === 0) return;
    current = Math.max(0, Math.min(index, list.length - 1));
    list.forEach((card, i) => card.classList.toggle("current", i === current));
    list[current].focus({ preventScroll: true });
    list[current].scrollIntoView({ block: "nearest" });
  }

  function say(text, isError) {
    if (!messages) return;
    const p = document.createElement("p");
    p.className = "flash" + (isError ? " error" : "");
    p.textContent = text;
    messages.replaceChildren(p);
  }

  function showStats(stats, me) {
    const values = {
      depth: stats.depth,
      available: stats.available,
      leased: stats.leased,
      decided_last_hour: stats.decided_last_hour,
      mine: (stats.decided_last_hour_by_moderator || {})[me] || 0,
    };
    for (const [name, value] of Object.entries(values)) {
      const el = document.querySelector('[data-stat="' + name + '"]');
      if (el) el.textContent = String(value);
    }
  }

  async function submitDecision(submitter) {
    let data;
    try {
      data = new FormData(form, submitter);
    } catch (err) { // browsers without the submitter argument
      data = new FormData(form);
      if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    }
    let answer;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(data),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (response.status === 401) { window.location.reload(); return; }
      answer = await response.json();
      if (!response.ok) { say((answer.error && answer.error.message) || "That did not work.", true); return; }
    } catch (err) {
      say("The server could not be reached; nothing was decided. Try again.", true);
      return;
    }
    // Decided here or elsewhere (409): either way the comment is no longer ours to decide.
    for (const result of answer.results) {
      const card = document.getElementById("c-" + result.id);
      if (card) card.remove();
    }
    say(answer.message, answer.results.some((r) => !r.ok));
    const who = document.querySelector(".who");
    showStats(answer.stats, who ? who.textContent : "");
    if (cards().length === 0) {
      window.location.reload(); // claims the next batch
      return;
    }
    focusCard(current);
  }

  // Keep the batch while the moderator is at work; an idle tab lets its leases run out,
  // so a page left open overnight does not hide comments from everyone else.
  let lastActivity = Date.now();
  ["keydown", "click", "scroll"].forEach((name) =>
    document.addEventListener(name, () => { lastActivity = Date.now(); }, { passive: true }));

  async function renew() {
    const every = Number(form.dataset.renewMs);
    if (Date.now() - lastActivity > every * 3) return;
    try {
      const response = await fetch(form.dataset.renewUrl, {
        method: "POST",
        headers: { Accept: "application/json", "X-CSRF-Token": form.elements.csrf_token.value },
        credentials: "same-origin",
      });
      if (response.ok) {
        const answer = await response.json();
        const who = document.querySelector(".who");
        showStats(answer.stats, who ? who.textContent : "");
      }
    } catch (err) {
      // offline for a moment: the next tick tries again
    }
  }

  if (form) {
    window.setInterval(renew, Number(form.dataset.renewMs) || 60000);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submitDecision(event.submitter);
    });
    form.addEventListener("change", (event) => {
      const box = event.target;
      if (box.name === "ids") box.closest("li.comment").classList.toggle("selected", box.checked);
    });
    document.addEventListener("click", (event) => {
      const card = event.target.closest && event.target.closest("li.comment");
      if (card) focusCard(cards().indexOf(card));
    });
    focusCard(0);
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" && event.target.type !== "checkbox") return;
    if (tag === "textarea" || tag === "select") return;
    // Space on a checkbox or button keeps its own meaning (toggle, press).
    if (event.key === " " && (tag === "input" || tag === "button" || tag === "a")) return;
    const list = cards();
    const card = list[current];
    if (event.key === "?") {
      help.open = !help.open;
    } else if (event.key === "j") {
      focusCard(current + 1);
    } else if (event.key === "k") {
      focusCard(current - 1);
    } else if (event.key === " " && card) {
      const box = card.querySelector('input[name="ids"]');
      box.checked = !box.checked;
      card.classList.toggle("selected", box.checked);
    } else if (card && "astx".includes(event.key)) {
      const button = card.querySelector('button[data-key="' + event.key + '"]');
      if (!button) return;
      button.click(); // submits the form with this button as the submitter
    } else {
      return;
    }
    event.preventDefault();
  });
})();
