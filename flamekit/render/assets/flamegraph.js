"use strict";
// flamekit flame graph interaction: tooltips and details, click to zoom,
// regex search with a Matched percentage, keyboard navigation, URL state.
// Frames the width budget hid are embedded as JSON (#fk-hidden) and drawn
// here when a zoom makes them wide enough; search counts them too.
// Public names as in FlameGraph's SVGs: init, zoom, unzoom, search, reset_search.

var SVGNS = "http://www.w3.org/2000/svg";
var FGNS = "http://github.com/jonhoo/inferno";
var XLINKNS = "http://www.w3.org/1999/xlink";

var cfg = null;            // rendering constants from #fk-config
var details, matchedtxt, searchbtn, unzoombtn, icbtn, frames_g;
var root = null;           // model root (built on first use)
var drawn = [];            // model nodes that have an element from the document, in order
var dynamic = [];          // model nodes whose element was created for a zoom
var zoomed = null;         // zoomed model node, or null
var selected = null;       // keyboard cursor
var searching = null;      // current search term, or null
var ignorecase = false;

function init(evt) {
	cfg = JSON.parse(document.getElementById("fk-config").textContent);
	details = document.getElementById("details").firstChild;
	matchedtxt = document.getElementById("matched");
	searchbtn = document.getElementById("search");
	unzoombtn = document.getElementById("unzoom");
	icbtn = document.getElementById("ignorecase");
	frames_g = document.getElementById("frames");

	frames_g.addEventListener("mouseover", function (e) {
		var n = node_of(e.target);
		if (n) show_details(n);
	});
	frames_g.addEventListener("mouseout", function (e) {
		if (node_of(e.target)) details.nodeValue = " ";
	});
	frames_g.addEventListener("click", function (e) {
		var g = frame_g(e.target);
		if (!g) return;
		var link = e.target.closest ? e.target.closest("a") : null;
		if (link && !(e.ctrlKey || e.metaKey)) return; // a --nameattr link: follow it
		if (link) e.preventDefault();
		var n = node_of(g);
		select(n);
		zoom(n);
	});
	unzoombtn.addEventListener("click", function () { unzoom(); });
	searchbtn.addEventListener("click", function () { if (searching === null) search(); else reset_search(); });
	icbtn.addEventListener("click", function () { toggle_ignorecase(); });
	window.addEventListener("keydown", on_key);
	restore_from_url();
	// when the page became interactive, for whoever measures it (performance.getEntriesByName)
	if (window.performance && performance.mark) performance.mark("flamekit-ready");
}

// -- the model ---------------------------------------------------------------

function frame_g(target) {
	var g = target && target.closest ? target.closest("g") : null;
	return g && g !== frames_g && g.parentNode === frames_g ? g : null;
}

function node_of(target) {
	var g = frame_g(target);
	if (!g) return null;
	model();
	return g.__fk || null;
}

function depth_of(y1) {
	if (cfg.inverted) return Math.round((y1 - cfg.ypad1) / cfg.frameheight);
	return Math.round((cfg.height - cfg.ypad2 - y1 + 1) / cfg.frameheight) - 1;
}

function y_of(d) {
	if (cfg.inverted) {
		var top = cfg.ypad1 + d * cfg.frameheight;
		return [top, top + cfg.frameheight - 1];
	}
	var y2 = cfg.height - cfg.ypad2 - d * cfg.frameheight;
	return [y2 - cfg.frameheight + 1, y2];
}

function strip_annotation(name) {
	return name.replace(/_\[[kwij]\]$/, "");
}

function model() {
	if (root) return root;
	var gs = frames_g.children;
	var stack = [];
	for (var i = 0; i < gs.length; i++) {
		// <g><title/><rect/><text/></g>, or with a --nameattr link <g><title/><a><rect/><text/></a></g>
		var g = gs[i];
		var title = g.firstElementChild;
		var rect = title ? title.nextElementSibling : null;
		if (rect && rect.tagName !== "rect") rect = rect.firstElementChild;
		if (!title || title.tagName !== "title" || !rect || rect.tagName !== "rect") {
			title = g.querySelector("title");
			rect = g.querySelector("rect");
		}
		// a frame too narrow for a label has no <text> (place() adds one when a zoom gives it a label)
		var text = rect.nextElementSibling;
		if (text && text.tagName !== "text") text = g.querySelector("text");
		var t = title ? title.textContent : "";
		var cut = t.lastIndexOf(" (");
		// the original geometry, label and fill are read only when first changed (remember())
		var n = {
			name: cut >= 0 ? t.substring(0, cut) : t,
			x: +rect.getAttributeNS(FGNS, "x"), w: +rect.getAttributeNS(FGNS, "w"),
			d: depth_of(+rect.getAttribute("y")), b: null,
			el: g, rect: rect, text: text, fill: null,
			ox: null, ow: null, olabel: null,
			kids: [], parent: null, hit: false
		};
		while (stack.length && stack[stack.length - 1].d >= n.d) stack.pop();
		if (stack.length) { n.parent = stack[stack.length - 1]; n.parent.kids.push(n); }
		else if (!root) root = n;
		stack.push(n);
		g.__fk = n;
		drawn.push(n);
	}
	// embedded frames: flat, callers first; [parent, name, dx, w, fill(, before)] where
	// parent >= 0 is a drawn frame and -1-k the k-th embedded one
	var hidden = JSON.parse(document.getElementById("fk-hidden").textContent);
	var made = [];
	for (var j = 0; j < hidden.nodes.length; j++) {
		var row = hidden.nodes[j];
		var parent = row[0] >= 0 ? drawn[row[0]] : made[-1 - row[0]];
		var e = {
			name: strip_annotation(hidden.names[row[1]]), x: parent.x + row[2], w: row[3], d: parent.d + 1,
			b: row.length > 5 ? row[5] : null, el: null, rect: null, text: null, fill: hidden.fills[row[4]],
			kids: [], parent: parent, hit: false, embedded: true
		};
		parent.kids.push(e);
		made.push(e);
	}
	return root;
}

// -- text --------------------------------------------------------------------

function fmt_count(v) {
	var s = Number.isInteger(v) ? String(Math.abs(v)) : Math.abs(v).toFixed(2);
	var dot = s.indexOf("."), head = dot >= 0 ? s.substring(0, dot) : s, tail = dot >= 0 ? s.substring(dot) : "";
	head = head.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
	return (v < 0 ? "-" : "") + head + tail;
}

function pct(part, whole) {
	return whole ? (100 * part / whole).toFixed(2) : "0.00";
}

function title_of(n) {
	var t = n.name + " (" + fmt_count(n.w * cfg.factor) + " " + cfg.countname + ", " + pct(n.w, cfg.total) + "%";
	if (cfg.diff && n.b !== null) {
		// with --negate the columns are AFTER BEFORE: label them in the user's sense
		var first = cfg.negate ? n.w : n.b, second = cfg.negate ? n.b : n.w;
		var delta = second - first, sign = delta > 0 ? "+" : "";
		t += "; before " + fmt_count(first * cfg.factor) + ", after " + fmt_count(second * cfg.factor) +
			", delta " + sign + fmt_count(delta * cfg.factor) + ", " + sign + pct(delta, cfg.total) + "%";
	}
	return t + ")";
}

function fit_label(name, px) {
	var chars = Math.floor(px / (cfg.fontsize * cfg.fontwidth));
	if (chars < 3) return "";
	if (name.length <= chars) return name;
	if (cfg.truncate_right) return name.substring(0, chars - 2) + "..";
	return ".." + name.substring(name.length - chars + 2);
}

function show_details(n) {
	var t = n.el ? n.el.querySelector("title").textContent : title_of(n);
	if (zoomed && zoomed !== n && within(n, zoomed)) t += " [" + pct(n.w, zoomed.w) + "% of zoomed frame]";
	details.nodeValue = cfg.nametype + " " + t;
}

// -- zoom --------------------------------------------------------------------

function within(n, top) {
	return n.d >= top.d && n.x >= top.x && n.x + n.w <= top.x + top.w;
}

function place(n, x, w) {
	n.rect.setAttribute("x", x.toFixed(1));
	n.rect.setAttribute("width", w.toFixed(1));
	var label = fit_label(n.name === "all" && n === root ? "all" : strip_annotation(n.name), w);
	if (!n.text && label) {
		// a frame drawn too narrow for a label has no <text>: give it one on its row
		n.text = document.createElementNS(SVGNS, "text");
		n.text.setAttribute("y", text_y(n.d));
		n.rect.parentNode.insertBefore(n.text, n.rect.nextSibling);
	}
	if (n.text) {
		n.text.setAttribute("x", (x + 3).toFixed(2));
		n.text.textContent = label;
	}
}

function text_y(d) {
	var ys = y_of(d);
	return (ys[0] + (ys[1] - ys[0]) / 2 + cfg.fontsize / 3).toFixed(2);
}

function make_element(n) {
	var g = document.createElementNS(SVGNS, "g");
	var title = document.createElementNS(SVGNS, "title");
	title.textContent = title_of(n);
	var rect = document.createElementNS(SVGNS, "rect");
	var ys = y_of(n.d);
	rect.setAttribute("y", ys[0].toFixed(1));
	rect.setAttribute("height", (ys[1] - ys[0]).toFixed(1));
	rect.setAttribute("fill", n.hit ? cfg.searchcolor : n.fill);
	rect.setAttributeNS(FGNS, "fg:x", String(n.x));
	rect.setAttributeNS(FGNS, "fg:w", String(n.w));
	var text = document.createElementNS(SVGNS, "text");
	text.setAttribute("y", text_y(n.d));
	g.appendChild(title);
	g.appendChild(rect);
	g.appendChild(text);
	g.__fk = n;
	n.el = g; n.rect = rect; n.text = text;
	frames_g.appendChild(g);
	dynamic.push(n);
}

function clear_dynamic() {
	for (var i = 0; i < dynamic.length; i++) {
		var n = dynamic[i];
		if (n.el && n.el.parentNode) n.el.parentNode.removeChild(n.el);
		n.el = n.rect = n.text = null;
	}
	dynamic = [];
	if (selected && !selected.el) selected = null;
}

function remember(n) {
	// keep a drawn frame's original geometry and label before the first zoom changes them
	if (n.ox !== null) return;
	n.ox = n.rect.getAttribute("x");
	n.ow = n.rect.getAttribute("width");
	n.olabel = n.text ? n.text.textContent : "";
}

function paint(n, colour) {
	if (n.fill === null) n.fill = n.rect.getAttribute("fill");
	n.rect.setAttribute("fill", colour === null ? n.fill : colour);
}

function zoom(target) {
	model();
	var z = target && target.__fk ? target.__fk : target;
	if (!z || z.w <= 0) return;
	clear_dynamic();
	zoomed = z;
	var full = cfg.width - 2 * cfg.xpad, scale = full / z.w;
	var chain = new Set();
	for (var a = z.parent; a; a = a.parent) chain.add(a);
	for (var i = 0; i < drawn.length; i++) {
		var n = drawn[i], cls = n.el.classList;
		if (chain.has(n)) {
			cls.remove("hide"); cls.add("parent");
			remember(n);
			place(n, cfg.xpad, full);
		} else if (within(n, z)) {
			cls.remove("hide"); cls.remove("parent");
			remember(n);
			place(n, cfg.xpad + (n.x - z.x) * scale, n.w * scale);
		} else {
			cls.add("hide"); cls.remove("parent");
		}
	}
	// a zoom target (or its callers) the budget hid has no element yet: draw it
	for (var e = z; e; e = e.parent) {
		if (e.el) continue;
		make_element(e);
		if (e === z) place(e, cfg.xpad, full);
		else { e.el.classList.add("parent"); place(e, cfg.xpad, full); }
	}
	reveal(z, scale);
	unzoombtn.classList.remove("hide");
	if (selected && selected.el && selected.el.classList.contains("hide")) select(z);
	update_url();
}

function reveal(z, scale) {
	// draw the embedded frames under z that are now at least minwidth wide
	var todo = [z];
	while (todo.length) {
		var n = todo.pop();
		for (var i = 0; i < n.kids.length; i++) {
			var k = n.kids[i];
			if (k.w * scale < cfg.minwidth) continue;
			if (!k.el) {
				make_element(k);
				place(k, cfg.xpad + (k.x - z.x) * scale, k.w * scale);
			}
			todo.push(k);
		}
	}
}

function unzoom() {
	model();
	clear_dynamic();
	zoomed = null;
	for (var i = 0; i < drawn.length; i++) {
		var n = drawn[i], cls = n.el.classList;
		cls.remove("hide"); cls.remove("parent");
		if (n.ox === null) continue;
		n.rect.setAttribute("x", n.ox);
		n.rect.setAttribute("width", n.ow);
		if (n.text) {
			n.text.setAttribute("x", (parseFloat(n.ox) + 3).toFixed(2));
			n.text.textContent = n.olabel;
		}
	}
	unzoombtn.classList.add("hide");
	update_url();
}

// -- search ------------------------------------------------------------------

function toggle_ignorecase() {
	ignorecase = !ignorecase;
	if (ignorecase) icbtn.classList.add("show"); else icbtn.classList.remove("show");
	if (searching !== null) search(searching);
	else update_url();
}

function reset_search() {
	if (!root) { searching = null; return; }
	var todo = [root];
	while (todo.length) {
		var n = todo.pop();
		if (n.hit) { n.hit = false; if (n.rect) paint(n, null); }
		for (var i = 0; i < n.kids.length; i++) todo.push(n.kids[i]);
	}
	searching = null;
	matchedtxt.textContent = " ";
	searchbtn.classList.remove("show");
	searchbtn.textContent = "Search";
	update_url();
}

function search(term) {
	if (term === undefined || term === null) {
		term = prompt("Enter a search term (regexp allowed, eg: ^ext4_)" +
			(ignorecase ? ", ignoring case" : "") + "\nPress Ctrl-i to toggle case sensitivity", searching || "");
		if (term === null) return;
	}
	model();
	reset_search();
	if (term === "") return;
	var re;
	try { re = new RegExp(term, ignorecase ? "i" : ""); }
	catch (err) { matchedtxt.textContent = "Invalid regex"; return; }
	// count each matched subtree once: stop counting below a match
	var matched = 0, todo = [[root, false]];
	while (todo.length) {
		var item = todo.pop(), n = item[0], under = item[1];
		var hit = n !== root && re.test(n.name);
		if (hit) {
			n.hit = true;
			if (n.rect) paint(n, cfg.searchcolor);
			if (!under) matched += n.w;
		}
		for (var i = 0; i < n.kids.length; i++) todo.push([n.kids[i], under || hit]);
	}
	searching = term;
	searchbtn.classList.add("show");
	searchbtn.textContent = "Reset Search";
	var p = 100 * matched / cfg.total;
	matchedtxt.textContent = "Matched: " + (p === 100 ? "100" : p.toFixed(1)) + "%";
	update_url();
}

// -- keyboard ----------------------------------------------------------------

function select(n) {
	if (selected && selected.el) selected.el.classList.remove("selected");
	selected = n;
	if (n && n.el) { n.el.classList.add("selected"); show_details(n); }
}

function visible(n) {
	return n.el && !n.el.classList.contains("hide");
}

function neighbour(n, step) {
	if (!n.parent) return null;
	var sibs = n.parent.kids.filter(visible);
	var i = sibs.indexOf(n) + step;
	return i >= 0 && i < sibs.length ? sibs[i] : null;
}

function on_key(e) {
	var key = e.key;
	if ((e.ctrlKey || e.metaKey) && (key === "f" || key === "F") || key === "F3") {
		e.preventDefault();
		search();
		return;
	}
	if ((e.ctrlKey || e.metaKey) && (key === "i" || key === "I")) {
		e.preventDefault();
		toggle_ignorecase();
		return;
	}
	if (key === "Escape") {
		reset_search();
		if (zoomed) unzoom();
		return;
	}
	if (key.indexOf("Arrow") !== 0 && key !== "Enter") return;
	model();
	var n = selected && visible(selected) ? selected : (zoomed || root);
	var next = null;
	var toward_leaves = cfg.inverted ? "ArrowDown" : "ArrowUp";
	if (key === "Enter") { zoom(n); return; }
	if (key === "ArrowLeft") next = neighbour(n, -1);
	else if (key === "ArrowRight") next = neighbour(n, 1);
	else if (key === toward_leaves) next = n.kids.filter(visible)[0] || null;
	else next = n.parent && visible(n.parent) ? n.parent : null;
	e.preventDefault();
	select(next || n);
}

// -- URL state -----------------------------------------------------------------

function update_url() {
	var params = [];
	if (zoomed && zoomed !== root) params.push("x=" + zoomed.x, "y=" + zoomed.d);
	if (searching !== null) params.push("s=" + encodeURIComponent(searching));
	if (ignorecase) params.push("i=1");
	try {
		history.replaceState(null, "", (params.length ? "?" + params.join("&") : location.pathname) + location.hash);
	} catch (err) { /* file: URLs in some browsers */ }
}

function restore_from_url() {
	var params = new URLSearchParams(location.search);
	if (params.get("i") === "1") { ignorecase = true; icbtn.classList.add("show"); }
	if (params.has("x") && params.has("y")) {
		var x = +params.get("x"), d = +params.get("y");
		model();
		var todo = [root], found = null;
		while (todo.length && !found) {
			var n = todo.pop();
			if (n.d === d && n.x === x) found = n;
			else if (n.d < d) for (var i = 0; i < n.kids.length; i++) {
				var k = n.kids[i];
				if (k.x <= x && x < k.x + k.w) todo.push(k);
			}
		}
		if (found) zoom(found);
	}
	if (params.has("s")) search(params.get("s"));
}
