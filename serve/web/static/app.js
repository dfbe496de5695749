// convnet serve: draw a digit (or, for a model of other pictures, upload
// one), see what the model sees, thinks and computes. Plain JavaScript, no
// libraries. While the pen is down the drawing is sent at most every
// THROTTLE_MS; lifting the pen sends it at once. One request is in flight
// at a time; answers for an older drawing than the last Clear are dropped.
(function () {
  "use strict";

  if (document.body.dataset.ready !== "true") {
    return; // the page explains how to train a model
  }

  var THROTTLE_MS = 150;
  // A server started with --token is opened as /?token=T: the page passes
  // the token on to its requests, in the Authorization header.
  var token = new URLSearchParams(window.location.search).get("token");
  var headers = { "Content-Type": "application/json" };
  if (token) {
    headers.Authorization = "Bearer " + token;
  }
  var LINE_WIDTH = 20; // on the 280 px pad: about 2 px of MNIST's 28

  var pad = document.getElementById("pad"); // digit models
  var upload = document.getElementById("upload"); // the others
  var pen = pad ? pad.getContext("2d") : null;
  var uploaded = null; // the data URL of the picture last chosen
  var classes = JSON.parse(document.body.dataset.classes || "[]");
  // Many classes (ImageNet's 1000): the rows show the likeliest few.
  var ranked = classes.length > 20;
  var inputCanvas = document.getElementById("input");
  var predictionEl = document.getElementById("prediction");
  var confidenceEl = document.getElementById("confidence");
  var probsEl = document.getElementById("probs");
  var statusEl = document.getElementById("status");

  var drawing = false;
  var last = null;
  var version = 0; // bumped by every change of the drawing
  var sent = 0; // the version of the request in flight or last sent
  var shown = 0; // the version whose answer is on the page
  var clearedAt = 0; // answers for versions up to this are stale
  var inflight = false;
  var busyRetry = false; // the server answered 503 with Retry-After
  var timer = null;

  // Probability rows, made once: one per class, or the top ten.
  var rows = [];
  for (var d = 0; d < (ranked ? 10 : classes.length || 10); d++) {
    var li = document.createElement("li");
    var label = document.createElement("span");
    label.className = "label";
    label.textContent = ranked ? "" : classes[d] || String(d);
    var track = document.createElement("span");
    track.className = "track";
    var bar = document.createElement("span");
    bar.className = "bar";
    track.appendChild(bar);
    var value = document.createElement("span");
    value.className = "value";
    value.textContent = "";
    li.appendChild(label);
    li.appendChild(track);
    li.appendChild(value);
    probsEl.appendChild(li);
    rows.push({ li: li, bar: bar, value: value, label: label });
  }

  function setState() {
    document.body.dataset.version = String(version);
    document.body.dataset.shown = String(shown);
  }

  function status(text, isError) {
    statusEl.textContent = text;
    statusEl.classList.toggle("error", !!isError);
  }

  // Drawing.

  function resetPad() {
    pen.fillStyle = "#000";
    pen.fillRect(0, 0, pad.width, pad.height);
    pen.strokeStyle = "#fff";
    pen.fillStyle = "#fff";
    pen.lineWidth = LINE_WIDTH;
    pen.lineCap = "round";
    pen.lineJoin = "round";
  }

  function point(e) {
    var r = pad.getBoundingClientRect();
    return {
      x: ((e.clientX - r.left) * pad.width) / r.width,
      y: ((e.clientY - r.top) * pad.height) / r.height,
    };
  }

  function dot(p) {
    pen.beginPath();
    pen.arc(p.x, p.y, LINE_WIDTH / 2, 0, 2 * Math.PI);
    pen.fill();
  }

  function segment(a, b) {
    pen.beginPath();
    pen.moveTo(a.x, a.y);
    pen.lineTo(b.x, b.y);
    pen.stroke();
  }

  if (pad) {
    pad.addEventListener("pointerdown", function (e) {
      if (e.pointerType === "mouse" && e.button !== 0) {
        return;
      }
      e.preventDefault();
      try {
        pad.setPointerCapture(e.pointerId);
      } catch (err) {
        // capture is a nicety: drawing works without it
      }
      drawing = true;
      last = point(e);
      dot(last);
      changed();
    });

    pad.addEventListener("pointermove", function (e) {
      if (!drawing) {
        return;
      }
      e.preventDefault();
      var events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
      if (events.length === 0) {
        events = [e];
      }
      for (var i = 0; i < events.length; i++) {
        var p = point(events[i]);
        segment(last, p);
        last = p;
      }
      changed();
    });

    function penUp() {
      if (!drawing) {
        return;
      }
      drawing = false;
      last = null;
      sendNow();
    }
    pad.addEventListener("pointerup", penUp);
    pad.addEventListener("pointercancel", penUp);
    pad.addEventListener("lostpointercapture", penUp);
  }

  // Uploading: each picture chosen is sent as it is, as a data URL.
  if (upload) {
    upload.addEventListener("change", function () {
      var file = upload.files && upload.files[0];
      if (!file) {
        return;
      }
      var reader = new FileReader();
      reader.onload = function () {
        uploaded = reader.result;
        version++;
        setState();
        sendNow();
      };
      reader.onerror = function () {
        status("Cannot read " + file.name + ".", true);
      };
      reader.readAsDataURL(file);
    });
  }

  function changed() {
    version++;
    setState();
    if (timer === null) {
      timer = setTimeout(function () {
        timer = null;
        send();
      }, THROTTLE_MS);
    }
  }

  function sendNow() {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    send();
  }

  // Talking to the server.

  function send() {
    if (inflight || version === sent || version <= clearedAt) {
      return;
    }
    inflight = true;
    var v = version;
    sent = v;
    status("Thinking\u2026", false);
    fetch("api/predict", {
      method: "POST",
      headers: headers,
      body: JSON.stringify({ image: pad ? pad.toDataURL("image/png") : uploaded }),
    })
      .then(function (r) {
        return r.json().then(
          function (body) {
            if (r.status === 503 && r.headers.get("Retry-After")) {
              return null; // busy: send this drawing again shortly
            }
            if (!r.ok) {
              throw new Error(body.error || "HTTP " + r.status);
            }
            return body;
          },
          function () {
            throw new Error("HTTP " + r.status);
          }
        );
      })
      .then(function (res) {
        if (res === null) {
          status("The server is busy: trying again\u2026", false);
          busyRetry = true;
          return;
        }
        if (v <= clearedAt) {
          return; // cleared meanwhile
        }
        delete document.body.dataset.error;
        render(res);
        shown = v;
        setState();
        if (pad) {
          status(res.blank ? "No ink found: draw a little bigger or bolder." : "Draw more, or Clear to start again.", false);
        } else {
          status(res.blank ? "Nothing to see in that picture: the answer means little." : "Choose another picture.", false);
        }
      })
      .catch(function (err) {
        document.body.dataset.error = err.message;
        status(err.message, true);
      })
      .then(function () {
        inflight = false;
        if (busyRetry) {
          busyRetry = false;
          if (sent === v) {
            sent = 0; // not answered: send the drawing again
          }
          setTimeout(send, 1000);
          return;
        }
        if (version !== sent && version > clearedAt) {
          if (drawing) {
            changedLater();
          } else {
            send();
          }
        }
      });
  }

  function changedLater() {
    if (timer === null) {
      timer = setTimeout(function () {
        timer = null;
        send();
      }, THROTTLE_MS);
    }
  }

  // Showing the answer.

  function className(i) {
    return i < classes.length ? classes[i] : String(i);
  }

  function render(res) {
    drawInput(res.picture || res.input, res.input_shape);
    var probs = res.probabilities;
    var top = res.prediction;
    if (res.blank) {
      predictionEl.textContent = "";
      confidenceEl.textContent = "";
    } else {
      predictionEl.textContent = className(top);
      confidenceEl.textContent = (100 * probs[top]).toFixed(1) + "% sure";
    }
    var order = probs.map(function (_, i) { return i; });
    if (ranked) {
      order.sort(function (a, b) { return probs[b] - probs[a]; });
    }
    for (var i = 0; i < rows.length; i++) {
      var k = order[i];
      var p = k < probs.length ? probs[k] : 0;
      if (ranked) {
        rows[i].label.textContent = className(k);
      }
      rows[i].bar.style.width = (100 * p).toFixed(2) + "%";
      rows[i].value.textContent = p.toFixed(3);
      rows[i].li.classList.toggle("top", k === top && !res.blank);
    }
    for (var j = 0; j < res.feature_maps.length; j++) {
      drawLayer(res.feature_maps[j]);
    }
  }

  // drawInput draws a C×H×W picture of values in [0, 1]: grey, or the
  // first three planes as red, green and blue.
  function drawInput(data, shape) {
    var h = shape[shape.length - 2];
    var w = shape[shape.length - 1];
    var colour = shape.length === 3 && shape[0] >= 3;
    var ctx = inputCanvas.getContext("2d");
    var img = ctx.createImageData(w, h);
    var byte = function (v) {
      return Math.round(255 * Math.min(1, Math.max(0, v)));
    };
    for (var i = 0; i < w * h; i++) {
      img.data[4 * i] = byte(data[i]);
      img.data[4 * i + 1] = byte(data[colour ? w * h + i : i]);
      img.data[4 * i + 2] = byte(data[colour ? 2 * w * h + i : i]);
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  // One grey-scale canvas per map, each scaled to its own min and max. Maps
  // of a single value (1x1) cannot be scaled on their own: they are drawn
  // as one grid, one cell per map, scaled together.
  var layers = {};

  function layerEl(name) {
    var found = document.querySelector('.layer[data-name="' + CSS.escape(name) + '"]');
    if (found) {
      return found;
    }
    var div = document.createElement("div");
    div.className = "layer";
    div.dataset.name = name;
    var h3 = document.createElement("h3");
    h3.textContent = name;
    var grid = document.createElement("div");
    grid.className = "grid";
    div.appendChild(h3);
    div.appendChild(grid);
    document.getElementById("maps").appendChild(div);
    return div;
  }

  function makeCanvas(w, h, scale, title) {
    var c = document.createElement("canvas");
    c.width = w;
    c.height = h;
    c.style.width = w * scale + "px";
    c.style.height = h * scale + "px";
    c.title = title;
    return c;
  }

  function displayScale(w, h) {
    // about 84 px a map, in whole steps so that pixels stay square
    return Math.max(1, Math.round(84 / Math.max(w, h)));
  }

  function setupLayer(name, shape) {
    var c = shape[0];
    var h = shape[1];
    var w = shape[2];
    var state = layers[name];
    if (!state) {
      var el = layerEl(name);
      var grid = el.querySelector(".grid");
      var canvases = [];
      if (h * w === 1) {
        var cols = Math.min(c, 20);
        var rowsN = Math.ceil(c / cols);
        var one = makeCanvas(cols, rowsN, 14, name + ": " + c + " values");
        grid.appendChild(one);
        grid.classList.add("single");
        var note = el.querySelector("h3 .muted");
        if (note) {
          note.textContent = c + " maps of 1\u00d71, one cell each, scaled together";
        }
        canvases.push(one);
        state = { canvases: canvases, cols: cols, flat: true };
      } else {
        var s = displayScale(w, h);
        for (var k = 0; k < c; k++) {
          var cv = makeCanvas(w, h, s, name + " map " + k);
          grid.appendChild(cv);
          canvases.push(cv);
        }
        state = { canvases: canvases, flat: false, grid: grid, cell: w * s };
        balance(state);
      }
      layers[name] = state;
      state.canvases.forEach(blank);
    }
    return state;
  }

  // balance spreads a layer's maps over rows of equal length (16 maps that
  // do not fit in one row make two rows of 8, not 12 and 4).
  var GAP = 6;
  function balance(state) {
    var n = state.canvases.length;
    var fit = Math.max(1, Math.floor((state.grid.clientWidth + GAP) / (state.cell + GAP)));
    var cols = Math.ceil(n / Math.ceil(n / fit));
    state.grid.style.gridTemplateColumns = "repeat(" + cols + ", max-content)";
  }
  window.addEventListener("resize", function () {
    Object.keys(layers).forEach(function (name) {
      if (!layers[name].flat) {
        balance(layers[name]);
      }
    });
  });

  function drawLayer(fm) {
    var c = fm.shape[0];
    var h = fm.shape[1];
    var w = fm.shape[2];
    var state = setupLayer(fm.name, fm.shape);
    if (state.flat) {
      paint(state.canvases[0], fm.data, 0, c, state.cols, Math.ceil(c / state.cols));
      return;
    }
    for (var m = 0; m < c && m < state.canvases.length; m++) {
      paint(state.canvases[m], fm.data, m * h * w, h * w, w, h);
    }
  }

  // paint draws n values of data from off on a w x h canvas, black at
  // their minimum and white at their maximum (cells past n stay dark).
  function paint(canvas, data, off, n, w, h) {
    var lo = Infinity;
    var hi = -Infinity;
    for (var i = 0; i < n; i++) {
      var v = data[off + i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    var span = hi - lo;
    var ctx = canvas.getContext("2d");
    var img = ctx.createImageData(w, h);
    for (var j = 0; j < w * h; j++) {
      var g = 24;
      if (j < n) {
        g = span > 0 ? Math.round((255 * (data[off + j] - lo)) / span) : 128;
      }
      img.data[4 * j] = g;
      img.data[4 * j + 1] = g;
      img.data[4 * j + 2] = g;
      img.data[4 * j + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  // Clear.

  function blank(canvas) {
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }

  function clearAll() {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    drawing = false;
    last = null;
    version++;
    clearedAt = version;
    sent = version;
    shown = version;
    setState();
    delete document.body.dataset.error;
    if (pad) {
      resetPad();
    }
    blank(inputCanvas);
    predictionEl.textContent = "";
    confidenceEl.textContent = "";
    for (var i = 0; i < rows.length; i++) {
      rows[i].bar.style.width = "0";
      rows[i].value.textContent = "";
      rows[i].li.classList.remove("top");
    }
    Object.keys(layers).forEach(function (name) {
      layers[name].canvases.forEach(blank);
    });
    status(pad ? "Draw a digit from 0 to 9." : "Choose a picture.", false);
  }

  if (pad) {
    document.getElementById("clear").addEventListener("click", clearAll);
  }
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") {
      clearAll();
    }
  });

  if (pad) {
    resetPad();
  }
  blank(inputCanvas);
  document.querySelectorAll(".layer[data-shape]").forEach(function (el) {
    setupLayer(el.dataset.name, el.dataset.shape.split(",").map(Number));
  });
  setState();
})();
