// mrap console: progressive enhancements only; every page works without this file.
"use strict";

// Times: shown in UTC by the server, here in the browser's own time zone.
for (const el of document.querySelectorAll("time[datetime]")) {
  const when = new Date(el.getAttribute("datetime"));
  if (!Number.isNaN(when.getTime())) {
    el.title = el.textContent;
    el.textContent = when.toLocaleString();
  }
}

// Copy buttons: put their data-copy text on the clipboard.
for (const button of document.querySelectorAll("button.copy[data-copy]")) {
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select and copy";
    }
    setTimeout(() => { button.textContent = "Copy"; }, 2000);
  });
}

// Destructive one-click forms ask first.
for (const form of document.querySelectorAll("form.confirm[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

// Uploads: sent with XHR so that a progress bar can follow the bytes; the server answers with
// the page to show next (or an error page, whose alert is shown here).
for (const form of document.querySelectorAll("form.upload")) {
  const box = form.querySelector(".progress");
  const bar = form.querySelector("progress");
  const status = form.querySelector("#upload-status");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    box.hidden = false;
    form.querySelector("button[type=submit]").disabled = true;
    xhr.upload.addEventListener("progress", (progress) => {
      if (progress.lengthComputable) {
        bar.value = Math.round((100 * progress.loaded) / progress.total);
        status.textContent = `${bar.value}% sent`;
      }
    });
    xhr.upload.addEventListener("load", () => { status.textContent = "Storing…"; });
    xhr.addEventListener("load", () => {
      if (xhr.status < 400) {
        window.location.assign(xhr.responseURL);
        return;
      }
      const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      const alert = page.querySelector(".alert");
      status.textContent = alert ? alert.textContent.trim().replace(/\s+/g, " ") : `Upload failed (${xhr.status}).`;
      form.querySelector("button[type=submit]").disabled = false;
    });
    xhr.addEventListener("error", () => {
      status.textContent = "The upload was interrupted.";
      form.querySelector("button[type=submit]").disabled = false;
    });
    xhr.send(new FormData(form));
  });
}
