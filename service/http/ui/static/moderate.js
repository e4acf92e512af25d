// modq moderator page: keyboard shortcuts, decisions without a reload, undo countdown.
// Every action also works without this script (plain form posts).
(function () {
  "use strict";

  const form = document.getElementById("decide-form");
  const help = document.getElementById("help");
  const messages = document.getElementById("messages");
  const compact = document.querySelector("main.density-compact") !== null;
  let current = 0;
  let undo = null; // {until: ms, timer}

  function cards() {
    return Array.from(document.querySelectorAll("li.comment"));
  }

  function boxes() {
    return Array.from(document.querySelectorAll('li.comment input[name="ids"]'));
  }

  function focusCard(index) {
    const list = cards();
    if (list.length === 0) return;
    current = Math.max(0, Math.min(index, list.length - 1));
    list.forEach((card, i) => {
      card.classList.toggle("current", i === current);
      const details = card.querySelector("details");
      // Compact view: the current comment opens in place; the one it opened before closes.
      if (compact && details) {
        if (i === current && !details.open) { details.open = true; card.dataset.autoOpen = "1"; }
        if (i !== current && card.dataset.autoOpen) { details.open = false; delete card.dataset.autoOpen; }
      }
    });
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

  function countSelected() {
    const count = document.getElementById("selected-count");
    const chosen = boxes().filter((b) => b.checked);
    boxes().forEach((b) => b.closest("li.comment").classList.toggle("selected", b.checked));
    if (count) count.textContent = chosen.length + " selected";
    return chosen.length;
  }

  function selectAll() {
    const all = boxes();
    const every = all.length > 0 && all.every((b) => b.checked);
    all.forEach((b) => { b.checked = !every; });
    countSelected();
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

  function csrf() {
    const field = document.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }

  // The undo button of the last decision, counting down to the end of its window.
  function offerUndo(untilMs, what) {
    const slot = document.getElementById("undo-slot");
    if (!slot) return;
    if (undo && undo.timer) window.clearInterval(undo.timer);
    const old = document.getElementById("undo-form");
    if (old) old.remove();
    const button = document.createElement("button");
    button.type = "button";
    button.id = "undo-button";
    const label = document.createElement("span");
    button.append("Undo ");
    const key = document.createElement("kbd");
    key.textContent = "u";
    button.append(key, " ", label);
    button.addEventListener("click", takeBack);
    const text = document.createElement("span");
    text.textContent = what;
    slot.replaceChildren(text, button);
    function tick() {
      const left = Math.ceil((untilMs - Date.now()) / 1000);
      if (left <= 0) {
        slot.replaceChildren(); window.clearInterval(undo.timer); undo = null;
        if (cards().length === 0) window.location.reload(); // the batch is done: claim the next
        return;
      }
      label.textContent = "(" + left + " s)";
    }
    undo = { until: untilMs, timer: window.setInterval(tick, 250) };
    tick();
  }

  async function takeBack() {
    const serverForm = document.getElementById("undo-form");
    if (!undo && serverForm) { serverForm.submit(); return; }
    if (!undo) { say("There is no decision to take back.", true); return; }
    const url = (form && form.dataset.undoUrl) || (serverForm && serverForm.action);
    try {
      const response = await fetch(url, {
        method: "POST",
        body: new URLSearchParams({ csrf_token: csrf() }),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const answer = await response.json();
      if (!response.ok) { say(answer.message || "That could not be taken back.", true); return; }
      window.location.reload(); // the comments are back in your batch
    } catch (err) {
      say("The server could not be reached; nothing was taken back.", true);
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
    if (answer.undo) offerUndo(answer.undo.until * 1000, answer.message);
    countSelected();
    const who = document.querySelector(".who");
    showStats(answer.stats, who ? who.textContent : "");
    if (cards().length === 0 && !answer.undo) {
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
        headers: { Accept: "application/json", "X-CSRF-Token": csrf() },
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

  // The server-rendered undo form (after a reload, or without this script's decisions).
  const serverUndo = document.getElementById("undo-form");
  if (serverUndo) {
    const until = Number(serverUndo.dataset.untilMs);
    const left = serverUndo.querySelector(".left");
    const timer = window.setInterval(() => {
      const seconds = Math.ceil((until - Date.now()) / 1000);
      if (seconds <= 0) { serverUndo.remove(); window.clearInterval(timer); return; }
      if (left) left.textContent = "(" + seconds + " s)";
    }, 250);
  }

  if (form) {
    window.setInterval(renew, Number(form.dataset.renewMs) || 60000);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submitDecision(event.submitter);
    });
    form.addEventListener("change", (event) => {
      if (event.target.name === "ids") countSelected();
    });
    const all = document.getElementById("select-all");
    if (all) all.addEventListener("click", (event) => { event.preventDefault(); selectAll(); });
    countSelected();
  }
  document.addEventListener("click", (event) => {
    const card = event.target.closest && event.target.closest("li.comment");
    if (card) {
      delete card.dataset.autoOpen; // opened or closed by hand: stays so
      current = cards().indexOf(card);
      cards().forEach((c, i) => c.classList.toggle("current", i === current));
    }
  });
  // Back from a form post to "#c-<id>": that comment is the current one.
  const target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
  if (cards().length) focusCard(target ? Math.max(0, cards().indexOf(target)) : 0);

  function bulk(action) {
    if (!form) return;
    if (countSelected() === 0) { say("Select comments first (space, or * for all).", true); return; }
    const button = form.querySelector('.bulk button[value="' + action + '"]');
    if (button) button.click();
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" && event.target.type !== "checkbox") return;
    if (tag === "textarea" || tag === "select") return;
    // Space on a checkbox or button keeps its own meaning (toggle, press).
    if (event.key === " " && (tag === "input" || tag === "button" || tag === "a" || tag === "summary")) return;
    const list = cards();
    const card = list[current];
    const bulkKeys = { A: "approve", S: "spam", T: "toxic" };
    if (event.key === "?") {
      if (help) help.open = !help.open;
    } else if (event.key === "j") {
      focusCard(current + 1);
    } else if (event.key === "k") {
      focusCard(current - 1);
    } else if (event.key === "o" && card) {
      const details = card.querySelector("details");
      details.open = !details.open;
      delete card.dataset.autoOpen;
    } else if (event.key === "u") {
      takeBack();
    } else if (event.key === "*") {
      selectAll();
    } else if (event.shiftKey && bulkKeys[event.key]) {
      bulk(bulkKeys[event.key]);
    } else if (event.key === " " && card) {
      const box = card.querySelector('input[name="ids"]');
      if (!box) return;
      box.checked = !box.checked;
      countSelected();
    } else if (card && "astx".includes(event.key) && event.key.length === 1) {
      const button = card.querySelector('button[data-key="' + event.key + '"]');
      if (!button) return;
      button.click(); // submits the form with this button as the submitter
    } else {
      return;
    }
    event.preventDefault();
  });
})();
