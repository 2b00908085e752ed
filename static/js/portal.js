/* The portal's own scripts: countdown, confirmations, character counters, autosave that never loses a keystroke,
   direct uploads to the bucket. No third-party code besides Bootstrap, served locally. */
(function () {
  "use strict";

  function csrfToken(form) {
    var input = (form || document).querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  /* Countdown to the deadline (shown in the last days). */
  document.querySelectorAll("[data-countdown]").forEach(function (el) {
    var deadline = new Date(el.dataset.countdown).getTime();
    function tick() {
      var left = deadline - Date.now();
      if (left <= 0) { el.textContent = el.dataset.over; return; }
      var d = Math.floor(left / 86400000), h = Math.floor(left % 86400000 / 3600000), m = Math.floor(left % 3600000 / 60000);
      el.textContent = el.dataset.label + ": " + (d ? d + " " + el.dataset.d + " " : "") + h + " " + el.dataset.h + " " + m + " " + el.dataset.m;
      setTimeout(tick, 30000);
    }
    tick();
  });

  /* Confirm destructive actions. */
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });

  /* Character counters for limited text areas. */
  document.querySelectorAll("textarea[maxlength][data-counter]").forEach(function (area) {
    var counter = document.createElement("div");
    counter.className = "char-counter";
    counter.setAttribute("aria-hidden", "true");
    area.insertAdjacentElement("afterend", counter);
    function update() {
      counter.textContent = area.value.length + " / " + area.maxLength;
      counter.classList.toggle("over", area.value.length >= area.maxLength);
    }
    area.addEventListener("input", update);
    update();
  });

  /* Add an author row. */
  document.querySelectorAll("[data-add-author]").forEach(function (button) {
    button.addEventListener("click", function () {
      var rows = document.getElementById("authors-rows");
      var last = rows.querySelector(".author-row:last-child");
      var index = rows.querySelectorAll(".author-row").length;
      var clone = last.cloneNode(true);
      clone.dataset.index = index;
      clone.querySelectorAll("input").forEach(function (input) {
        var field = input.name.split("-")[2];
        input.name = input.id = "authors-" + index + "-" + field;
        input.value = "";
        input.classList.remove("is-invalid");
      });
      clone.querySelectorAll("label").forEach(function (label) {
        label.htmlFor = label.htmlFor.replace(/authors-\d+-/, "authors-" + index + "-");
      });
      clone.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
      rows.appendChild(clone);
      clone.querySelector("input").focus();
    });
  });

  /* Autosave: every change goes to localStorage at once, then to the server (PATCH with the version, only the
     fields that differ from what the server is known to hold). If the connection drops, the copy stays in the
     browser and is sent again when it returns; after a reload, an unsent copy is put back into the form. If the
     entry moved on in the meantime, the change is merged when nobody else touched the same fields. */
  var form = document.querySelector("form.entry-form[data-autosave]");
  if (form) {
    var status = document.getElementById("save-status");
    var versionInput = form.querySelector("input[name=version]");
    // One copy per tab (two tabs must not wipe each other's unsent changes); the tab's id survives reloads.
    var tabId = sessionStorage.getItem("portal-tab") || Math.random().toString(36).slice(2);
    sessionStorage.setItem("portal-tab", tabId);
    var keyPrefix = "entry-draft:" + form.dataset.entryId + ":" + form.dataset.section + ":";
    var storeKey = keyPrefix + tabId;
    var timer = null, inFlight = false, pending = false;

    var collect = function () {
      var data = {};
      var section = form.dataset.section;
      if (section === "authors") {
        var authors = [];
        form.querySelectorAll(".author-row").forEach(function (row) {
          var get = function (f) { var i = row.querySelector("input[name$='-" + f + "']"); return i ? i.value.trim() : ""; };
          var a = { full_name: get("full_name"), position: get("position"), email: get("email") };
          if (a.full_name || a.position || a.email) { authors.push(a); }
        });
        data.authors = authors;
      } else if (section === "consents") {
        data.consent_processing = form.querySelector("#consent_processing").checked;
        data.consent_publication = form.querySelector("#consent_publication").checked;
      } else {
        form.querySelectorAll("input[name], textarea[name], select[name]").forEach(function (el) {
          if (["csrf_token", "version", "next"].indexOf(el.name) >= 0) { return; }
          var value = el.value;
          if (el.type === "number") { value = value === "" ? null : Number(value); }
          if (el.name === "keywords") { value = value.split(",").map(function (s) { return s.trim(); }).filter(Boolean); }
          data[el.name] = value;
        });
      }
      return data;
    };
    var normal = function (value) {
      if (value === undefined || value === "") { value = null; }
      return JSON.stringify(value, function (_k, v) { return typeof v === "string" ? v.trim() : v; });
    };
    var setField = function (name, value) {
      var el = form.querySelector("[name=" + CSS.escape(name) + "]");
      if (!el) { return; }
      if (el.type === "checkbox") { el.checked = !!value; }
      else if (Array.isArray(value)) { el.value = value.join(", "); }
      else { el.value = value === null || value === undefined ? "" : value; }
    };
    var known = collect();  // what the server is known to hold for this form's fields
    var say = function (text, cls) {
      if (status) { status.textContent = text; status.className = "small text-end " + (cls || "text-body-secondary"); }
    };
    var read = function () { return JSON.parse(localStorage.getItem(storeKey) || "null"); };
    var changes = function (data) {
      var out = {};
      Object.keys(data).forEach(function (name) { if (normal(data[name]) !== normal(known[name])) { out[name] = data[name]; } });
      return out;
    };
    var clearErrors = function () {
      form.querySelectorAll(".is-invalid").forEach(function (el) { el.classList.remove("is-invalid"); });
      form.querySelectorAll(".invalid-feedback.js-error").forEach(function (el) { el.remove(); });
    };
    var showErrors = function (fields) {
      Object.keys(fields || {}).forEach(function (name) {
        var el = form.querySelector("#" + CSS.escape(name.replace(/\./g, "-")));
        if (!el) { return; }
        el.classList.add("is-invalid");
        var msg = document.createElement("div");
        msg.className = "invalid-feedback d-block js-error";
        msg.textContent = fields[name];
        el.insertAdjacentElement("afterend", msg);
      });
    };
    // Show the saved state: the title in the header and, per section, how many required fields are still empty.
    var reflect = function (entry) {
      var title = document.querySelector("[data-entry-title]");
      if (title) { title.textContent = entry.title || title.dataset.untitled; }
      document.querySelectorAll(".section-nav [data-fields]").forEach(function (link) {
        var todo = link.dataset.fields.split(",").filter(function (f) { return entry.missing.indexOf(f) >= 0; }).length;
        link.querySelector("[data-todo]").textContent = todo;
        link.querySelector("[data-todo]").classList.toggle("d-none", todo === 0);
        link.querySelector("[data-done]").classList.toggle("d-none", todo !== 0);
      });
    };
    var patch = function (body, keepalive) {
      return fetch(form.dataset.apiUrl, {
        method: "PATCH", credentials: "same-origin", keepalive: !!keepalive,
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(form), "Accept": "application/json" },
        body: JSON.stringify(body)
      });
    };
    // The entry moved on since this page knew it. If nobody else changed the fields this form is sending, send
    // them again on top of the new version; otherwise say so and keep the local copy.
    var merge = function (sent) {
      fetch(form.dataset.apiUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (server) {
          var clash = Object.keys(sent).some(function (name) {
            var theirs = normal(server[name]);
            return theirs !== normal(known[name]) && theirs !== normal(sent[name]);
          });
          if (clash) { say(form.dataset.msgConflict, "text-danger"); return; }
          var current = collect();
          Object.keys(known).forEach(function (name) {
            if (!(name in server)) { return; }
            // A field this tab has not touched shows what the other tab saved.
            if (!(name in sent) && normal(current[name]) === normal(known[name])) { setField(name, server[name]); }
            known[name] = server[name];
          });
          versionInput.value = server.version;
          send();
        })
        .catch(function () { say(form.dataset.msgOffline, "text-warning"); setTimeout(send, 5000); });
    };
    var send = function () {
      if (inFlight) { pending = true; return; }
      var saved = read();
      if (!saved) { return; }
      var sent = changes(saved.data);
      if (!Object.keys(sent).length) {  // everything already reached the server (e.g. merged after a conflict)
        localStorage.removeItem(storeKey);
        say(form.dataset.msgSaved + " · " + new Date().toLocaleTimeString().slice(0, 5), "text-success");
        return;
      }
      inFlight = true;
      say(form.dataset.msgSaving);
      patch(Object.assign({}, sent, { version: Number(versionInput.value) })).then(function (response) {
        return response.json().then(function (json) { return { status: response.status, json: json }; });
      }).then(function (result) {
        inFlight = false;
        clearErrors();
        if (result.status === 200) {
          Object.keys(sent).forEach(function (name) { known[name] = sent[name]; });
          versionInput.value = result.json.version;
          var current = read();
          if (current && current.stamp === saved.stamp) { localStorage.removeItem(storeKey); } else if (current) { pending = true; }
          say(form.dataset.msgSaved + " · " + new Date().toLocaleTimeString().slice(0, 5), "text-success");
          reflect(result.json);
        } else if (result.status === 409 && result.json.error && result.json.error.code === "conflict"
                   && (result.json.error.version || result.json.error.retry)) {  // moved on, or lost a race
          merge(sent);
          return;
        } else if (result.status === 422) {
          showErrors(result.json.error.fields);
          say(form.dataset.msgError, "text-danger");
          return;
        } else {
          say(result.json.error ? result.json.error.message : form.dataset.msgError, "text-danger");
          return;
        }
        if (pending) { pending = false; send(); }
      }).catch(function () {
        inFlight = false;
        say(form.dataset.msgOffline, "text-warning");
        setTimeout(send, 5000);
      });
    };
    var remember = function () {
      // Only what the person changed is kept and sent: untouched fields never overwrite another tab's work.
      localStorage.setItem(storeKey, JSON.stringify({ data: changes(collect()), stamp: Date.now() }));
      clearTimeout(timer);
      timer = setTimeout(send, 1200);
    };
    // An unsent copy from an earlier visit goes back into the form: this tab's own (a reload), and copies of tabs
    // that were closed (no change for a while), which this tab adopts.
    var adopt = function () {
      var mine = read(), quiet = Date.now() - 10000;
      Object.keys(localStorage).forEach(function (key) {
        if (key.indexOf(keyPrefix) !== 0 || key === storeKey) { return; }
        var other = JSON.parse(localStorage.getItem(key) || "null");
        if (!other || other.stamp > quiet) { return; }
        mine = mine || { data: {}, stamp: other.stamp };
        Object.keys(other.data).forEach(function (name) { if (!(name in mine.data)) { mine.data[name] = other.data[name]; } });
        localStorage.removeItem(key);
      });
      if (mine) { localStorage.setItem(storeKey, JSON.stringify(mine)); }
      return mine;
    };
    var leftover = adopt();
    if (leftover && Object.keys(changes(leftover.data)).length) {
      Object.keys(leftover.data).forEach(function (name) { setField(name, leftover.data[name]); });
      say(form.dataset.msgRestored, "text-warning");
      send();
    } else if (leftover) {
      localStorage.removeItem(storeKey);  // everything in it already reached the server
    }
    form.addEventListener("input", remember);
    form.addEventListener("change", remember);
    form.addEventListener("submit", function () { localStorage.removeItem(storeKey); clearTimeout(timer); });
    window.addEventListener("online", send);
    // Leaving the page with a change not yet sent: hand it to the browser to deliver after the page is gone.
    window.addEventListener("pagehide", function () {
      var saved = read();
      if (!saved || inFlight) { return; }
      var sent = changes(saved.data);
      if (Object.keys(sent).length) { patch(Object.assign({}, sent, { version: Number(versionInput.value) }), true); }
    });
  }

  /* Direct upload to the bucket (S3 storage): presigned POST, then the server verifies the object. */
  var upload = document.querySelector("form.upload-form[data-direct-url]");
  if (upload) {
    upload.addEventListener("submit", function (event) {
      var input = upload.querySelector("input[type=file]");
      var file = input.files[0];
      if (!file) { return; }
      event.preventDefault();
      var statusEl = upload.querySelector(".upload-status");
      var bar = upload.querySelector(".progress");
      if (file.size > Number(upload.dataset.maxBytes)) { statusEl.textContent = upload.dataset.msgTooLarge; return; }
      var headers = { "Content-Type": "application/json", "X-CSRFToken": csrfToken(upload), "Accept": "application/json" };
      statusEl.textContent = upload.dataset.msgUploading;
      fetch(upload.dataset.directUrl, { method: "POST", credentials: "same-origin", headers: headers,
        body: JSON.stringify({ filename: file.name, size: file.size, kind: upload.querySelector("#kind").value }) })
        .then(function (r) { return r.json().then(function (j) { if (!r.ok) { throw j; } return j; }); })
        .then(function (ticket) {
          return new Promise(function (resolve, reject) {
            var body = new FormData();
            Object.keys(ticket.fields).forEach(function (k) { body.append(k, ticket.fields[k]); });
            body.append("file", file);
            var xhr = new XMLHttpRequest();
            xhr.open("POST", ticket.url);
            bar.classList.remove("d-none");
            xhr.upload.onprogress = function (e) { if (e.lengthComputable) { bar.firstElementChild.style.width = (100 * e.loaded / e.total) + "%"; } };
            xhr.onload = function () { xhr.status < 300 ? resolve(ticket) : reject({ error: { message: upload.dataset.msgFailed } }); };
            xhr.onerror = function () { reject({ error: { message: upload.dataset.msgFailed } }); };
            xhr.send(body);
          });
        })
        .then(function (ticket) {
          return fetch(ticket.complete_url, { method: "POST", credentials: "same-origin", headers: headers })
            .then(function (r) { return r.json().then(function (j) { if (!r.ok) { throw j; } return j; }); });
        })
        .then(function () { window.location.reload(); })
        .catch(function (err) { statusEl.textContent = (err && err.error && err.error.message) || upload.dataset.msgFailed; });
    });
  }
})();
