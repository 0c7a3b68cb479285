// Resumable uploads from a draft's page: tus 1.0 (creation, then PATCH in chunks, resuming from
// the server's offset after a failed chunk), then the file is attached to the draft.
"use strict";
(function () {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const CHUNK = 8 * 1024 * 1024;
  const RETRIES = 3;
  const csrf = form.querySelector("input[name=csrf_token]").value;
  const bar = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const button = form.querySelector("button[type=submit]");

  function request(method, url, headers, body, onProgress) {
    return new Promise(function (resolve, reject) {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      Object.keys(headers).forEach(function (name) { xhr.setRequestHeader(name, headers[name]); });
      if (onProgress) xhr.upload.onprogress = function (e) { onProgress(e.loaded); };
      xhr.onload = function () { resolve(xhr); };
      xhr.onerror = function () { reject(new Error("network error")); };
      xhr.send(body === undefined ? null : body);
    });
  }

  function problem(xhr) {
    try {
      const doc = JSON.parse(xhr.responseText);
      return doc.detail + (doc.hint ? " (" + doc.hint + ")" : "");
    } catch (e) {
      return "HTTP " + xhr.status;
    }
  }

  function b64(text) {
    const bytes = new TextEncoder().encode(text);
    let binary = "";
    bytes.forEach(function (b) { binary += String.fromCharCode(b); });
    return btoa(binary);
  }

  const TUS = { "Tus-Resumable": "1.0.0" };

  async function sendFile(file, done, total) {
    const created = await request("POST", "/api/v1/uploads", Object.assign({}, TUS, {
      "Upload-Length": String(file.size),
      "Upload-Metadata": "filename " + b64(file.name),
    }));
    if (created.status !== 201) throw new Error(problem(created));
    const location = created.getResponseHeader("Location");
    let offset = 0;
    let failures = 0;
    while (offset < file.size) {
      const chunk = file.slice(offset, offset + CHUNK);
      try {
        const sent = await request("PATCH", location, Object.assign({}, TUS, {
          "Upload-Offset": String(offset),
          "Content-Type": "application/offset+octet-stream",
        }), chunk, function (loaded) { bar.value = (done + offset + loaded) / total; });
        if (sent.status !== 204) throw new Error(problem(sent));
        offset = parseInt(sent.getResponseHeader("Upload-Offset"), 10);
      } catch (error) {
        failures += 1;
        if (failures > RETRIES) throw error;
        const head = await request("HEAD", location, TUS);
        offset = parseInt(head.getResponseHeader("Upload-Offset"), 10);
      }
      bar.value = (done + offset) / total;
    }
    return location.split("/").pop();
  }

  async function attach(uploadId, path) {
    const response = await request("POST", form.dataset.attachUrl,
      { "Content-Type": "application/json" }, JSON.stringify({ path: path, upload_id: uploadId }));
    if (response.status !== 201) throw new Error(path + ": " + problem(response));
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const files = Array.from(form.querySelector("input[type=file]").files);
    if (!files.length) return;
    const prefix = form.querySelector("input[name=prefix]").value.replace(/^\/+|\/+$/g, "");
    const total = files.reduce(function (sum, f) { return sum + f.size; }, 0) || 1;
    let done = 0;
    button.disabled = true;
    try {
      for (const file of files) {
        status.textContent = "Uploading " + file.name + "…";
        const uploadId = await sendFile(file, done, total);
        await attach(uploadId, prefix ? prefix + "/" + file.name : file.name);
        done += file.size;
      }
      bar.value = 1;
      status.textContent = "Uploaded " + files.length + " file(s).";
      window.location.reload();
    } catch (error) {
      status.textContent = "Upload failed: " + error.message;
      button.disabled = false;
    }
  });
})();
