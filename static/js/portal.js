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

  /* Autosave: every change goes to localStorage at once, then to the server (PATCH, with the version).
     If the connection drops, the copy stays in the browser and is sent again when it returns; after a
     reload, an unsent copy is put back into the form. */
  var form = document.querySelector("form.entry-form[data-autosave]");
  if (form) {
    var status = document.getElementById("save-status");
    var versionInput = form.querySelector("input[name=version]");
    var storeKey = "entry-draft:" + form.dataset.entryId + ":" + form.dataset.section;
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
    var say = function (text, cls) {
      if (status) { status.textContent = text; status.className = "small text-end " + (cls || "text-body-secondary"); }
    };
    var clearErrors = function () {
      form.querySelectorAll(".is-invalid").forEach(function (el) { el.classList.remove("is-invalid"); });
      form.querySelectorAll(".invalid-feedback.js-error").forEach(function (el) { el.remove(); });
    };
    var showErrors = function (fields) {
      Object.keys(fields || {}).forEach(function (name) {
        var id = name.replace(/\./g, "-").replace(/^authors-(\d+)-/, "authors-$1-");
        var el = form.querySelector("#" + CSS.escape(id));
        if (!el) { return; }
        el.classList.add("is-invalid");
        var msg = document.createElement("div");
        msg.className = "invalid-feedback d-block js-error";
        msg.textContent = fields[name];
        el.insertAdjacentElement("afterend", msg);
      });
    };
    var send = function () {
      if (inFlight) { pending = true; return; }
      var saved = JSON.parse(localStorage.getItem(storeKey) || "null");
      if (!saved) { return; }
      inFlight = true;
      say(form.dataset.msgSaving);
      var body = Object.assign({}, saved.data, { version: saved.version });
      fetch(form.dataset.apiUrl, {
        method: "PATCH", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(form), "Accept": "application/json" },
        body: JSON.stringify(body)
      }).then(function (response) {
        return response.json().then(function (json) { return { status: response.status, json: json }; });
      }).then(function (result) {
        inFlight = false;
        clearErrors();
        if (result.status === 200) {
          var current = JSON.parse(localStorage.getItem(storeKey) || "null");
          versionInput.value = result.json.version;
          if (current && current.stamp === saved.stamp) { localStorage.removeItem(storeKey); }
          else if (current) { current.version = result.json.version; localStorage.setItem(storeKey, JSON.stringify(current)); pending = true; }
          say(form.dataset.msgSaved + " · " + new Date().toLocaleTimeString().slice(0, 5), "text-success");
        } else if (result.status === 409 && result.json.error && result.json.error.code === "conflict") {
          say(form.dataset.msgConflict, "text-danger");
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
      localStorage.setItem(storeKey, JSON.stringify({ data: collect(), version: Number(versionInput.value), stamp: Date.now() }));
      clearTimeout(timer);
      timer = setTimeout(send, 1200);
    };
    // An unsent copy from an earlier visit (the connection dropped, the tab closed) goes back into the form.
    var leftover = JSON.parse(localStorage.getItem(storeKey) || "null");
    if (leftover && leftover.version === Number(versionInput.value)) {
      var data = leftover.data;
      Object.keys(data).forEach(function (name) {
        var el = form.querySelector("[name=" + CSS.escape(name) + "]");
        if (!el) { return; }
        if (el.type === "checkbox") { el.checked = !!data[name]; }
        else if (Array.isArray(data[name])) { el.value = data[name].join(", "); }
        else { el.value = data[name] === null ? "" : data[name]; }
      });
      say(form.dataset.msgRestored, "text-warning");
      send();
    } else if (leftover) {
      localStorage.removeItem(storeKey);
    }
    form.addEventListener("input", remember);
    form.addEventListener("change", remember);
    form.addEventListener("submit", function () { localStorage.removeItem(storeKey); clearTimeout(timer); });
    window.addEventListener("online", send);
    // Leaving the page with a change not yet sent: hand it to the browser to deliver after the page is gone.
    window.addEventListener("pagehide", function () {
      var saved = JSON.parse(localStorage.getItem(storeKey) || "null");
      if (!saved || inFlight) { return; }
      fetch(form.dataset.apiUrl, {
        method: "PATCH", credentials: "same-origin", keepalive: true,
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(form), "Accept": "application/json" },
        body: JSON.stringify(Object.assign({}, saved.data, { version: saved.version }))
      });
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
