package preview

import (
	"context"
	"io"
	"strconv"
	"strings"
)

// The HTML is written by hand through out, whose only way to emit text the
// document supplied is text (escaped for element content and attribute
// values alike); markup comes only from constants in this file. That keeps
// it safe by construction without a template engine, so the console can
// embed a preview whatever engine it renders with: Render has the shape of
// templ.Component, and String suits html/template (as template.HTML).

type out struct{ b []byte }

func (o *out) raw(s string) { o.b = append(o.b, s...) }

// text appends s escaped for HTML text and quoted attribute values.
func (o *out) text(s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case 0:
			esc = "\uFFFD"
		default:
			continue
		}
		o.b = append(o.b, s[last:i]...)
		o.b = append(o.b, esc...)
		last = i + 1
	}
	o.b = append(o.b, s[last:]...)
}

func (o *out) int(n int) { o.b = strconv.AppendInt(o.b, int64(n), 10) }

// Render writes the modal's preview; it has the signature of
// templ.Component.
func (m *Modal) Render(_ context.Context, w io.Writer) error {
	_, err := w.Write(m.AppendHTML(nil))
	return err
}

// String returns the modal's preview as HTML.
func (m *Modal) String() string { return string(m.AppendHTML(nil)) }

// Render writes the panel's preview; it has the signature of
// templ.Component.
func (p *Panel) Render(_ context.Context, w io.Writer) error {
	_, err := w.Write(p.AppendHTML(nil))
	return err
}

// String returns the panel's preview as HTML.
func (p *Panel) String() string { return string(p.AppendHTML(nil)) }

// AppendHTML appends the modal's preview to b.
func (m *Modal) AppendHTML(b []byte) []byte {
	o := &out{b: b}
	o.raw(`<div class="pv" data-preview="modal">`)
	status(o, &m.Summary, "JSON schema")
	if !m.Summary.Broken {
		o.raw(`<div class="pv-modal"><div class="pv-mhead"><span class="pv-mtitle">`)
		title(o, m.Title, "JSON modal")
		o.raw(`</span><span class="pv-x" aria-hidden="true">×</span></div><div class="pv-mbody">`)
		problems(o, m.BlocksProblems, "blocks")
		for i := range m.Blocks {
			block(o, &m.Blocks[i])
		}
		if m.HiddenBlocks > 0 {
			o.raw(`<p class="pv-note">`)
			o.int(m.HiddenBlocks)
			o.raw(` more blocks are not shown.</p>`)
		}
		if len(m.Blocks) == 0 {
			o.raw(`<p class="pv-note">No blocks: the modal shows only its buttons.</p>`)
		}
		o.raw(`</div><div class="pv-mfoot">`)
		problems(o, m.ActionsProblems, "actions")
		// The platform puts the secondary action left of the primary one.
		for _, el := range []string{"action-secondary", "action-primary", ""} {
			for i := range m.Actions {
				a := &m.Actions[i]
				known := a.Element == "action-secondary" || a.Element == "action-primary"
				if a.Element == el || el == "" && !known {
					action(o, a)
				}
			}
		}
		if m.HiddenActions > 0 {
			o.raw(`<p class="pv-note">`)
			o.int(m.HiddenActions)
			o.raw(` more actions are not shown.</p>`)
		}
		o.raw(`</div></div>`)
	}
	o.raw(`</div>`)
	return o.b
}

func title(o *out, s, fallback string) {
	if s == "" {
		o.raw(`<span class="pv-ph">`)
		o.text(fallback)
		o.raw(`</span>`)
		return
	}
	o.text(s)
}

// status writes the problem count and the problems that have no place.
func status(o *out, s *Summary, doc string) {
	if s.Total == 0 {
		o.raw(`<p class="pv-status pv-ok">No problems found in the `)
		o.text(doc)
		o.raw(`.</p>`)
		return
	}
	o.raw(`<div class="pv-status pv-bad"><p><strong>`)
	o.int(s.Total)
	if s.Total == 1 {
		o.raw(` problem`)
	} else {
		o.raw(` problems`)
	}
	o.raw(`</strong> in the `)
	o.text(doc)
	if s.Broken {
		o.raw(`.</p>`)
	} else if len(s.Problems) > 0 {
		o.raw(`; those without a place in the preview:</p>`)
	} else {
		o.raw(`, each shown at its place below.</p>`)
	}
	problems(o, s.Problems, "")
	o.raw(`</div>`)
}

// problems writes a list of problems; each reads "Line 12: options.label is
// required".
func problems(o *out, ps []Problem, what string) {
	if len(ps) == 0 {
		return
	}
	o.raw(`<ul class="pv-problems">`)
	for _, p := range ps {
		o.raw(`<li`)
		if p.Line > 0 {
			o.raw(` data-line="`)
			o.int(p.Line)
			o.raw(`"`)
		}
		o.raw(`><span class="pv-vh">Problem: </span>`)
		if p.Line > 0 {
			o.raw(`<span class="pv-line">Line `)
			o.int(p.Line)
			o.raw(`</span> `)
		}
		switch {
		case p.Path != "":
			o.raw(`<code>`)
			o.text(p.Path)
			o.raw(`</code> `)
		case what != "":
			o.text(what)
			o.raw(` `)
		}
		o.text(p.Message)
		o.raw(`</li>`)
	}
	o.raw(`</ul>`)
}

func blockClass(o *out, b *Block, extra string) {
	o.raw(`<div class="pv-block`)
	o.raw(extra)
	if len(b.Problems) > 0 {
		o.raw(` pv-has-problem`)
	}
	if b.Visible == "never" {
		o.raw(` pv-dim`)
	}
	o.raw(`"`)
	if b.Line > 0 {
		o.raw(` data-line="`)
		o.int(b.Line)
		o.raw(`"`)
	}
	o.raw(`>`)
}

func label(o *out, b *Block) {
	o.raw(`<div class="pv-label">`)
	title(o, b.Label, b.Key)
	if b.Required {
		o.raw(`<span class="pv-req" aria-hidden="true"> *</span><span class="pv-vh"> (required)</span>`)
	}
	o.raw(`</div>`)
}

func block(o *out, b *Block) {
	switch b.Element {
	case "element-separator":
		blockClass(o, b, " pv-sep")
		o.raw(`<hr>`)
	case "element-text":
		blockClass(o, b, " pv-text")
		if b.Markdown {
			markdown(o, b.Value)
		} else {
			paragraphs(o, b.Value)
		}
	case "element-input", "element-textarea", "element-datepicker", "element-select":
		blockClass(o, b, "")
		label(o, b)
		box := ` pv-field`
		switch b.Element {
		case "element-textarea":
			box = ` pv-field pv-area`
		case "element-select":
			box = ` pv-field pv-select`
		case "element-datepicker":
			box = ` pv-field pv-date`
		}
		o.raw(`<div class="pv-box`)
		o.raw(box)
		o.raw(`">`)
		v := b.Value
		if b.Element == "element-select" {
			v = ""
			for _, it := range b.Items {
				if it.Selected {
					v = it.Label
				}
			}
		}
		switch {
		case v != "" && b.InputType == "password":
			o.raw(`••••••••`)
		case v != "":
			o.text(v)
		case b.Placeholder != "":
			o.raw(`<span class="pv-ph">`)
			o.text(b.Placeholder)
			o.raw(`</span>`)
		default:
			o.raw(`&nbsp;`)
		}
		o.raw(`</div>`)
	case "element-radio-group", "element-checkbox-group":
		blockClass(o, b, "")
		label(o, b)
		mark, on := `pv-radio`, ` (selected)`
		if b.Element == "element-checkbox-group" {
			mark, on = `pv-check`, ` (checked)`
		}
		o.raw(`<ul class="pv-choices">`)
		for _, it := range b.Items {
			o.raw(`<li`)
			if it.Disabled {
				o.raw(` class="pv-off"`)
			}
			o.raw(`><span class="`)
			o.raw(mark)
			if it.Selected {
				o.raw(` pv-on`)
			}
			o.raw(`" aria-hidden="true"></span>`)
			title(o, it.Label, it.Value)
			if it.Selected {
				o.raw(`<span class="pv-vh">`)
				o.raw(on)
				o.raw(`</span>`)
			}
			if it.Disabled {
				o.raw(`<span class="pv-vh"> (disabled)</span>`)
			}
			if it.Visible != "" {
				o.raw(` <span class="pv-cond">`)
				visibleText(o, it.Visible)
				o.raw(`</span>`)
			}
			o.raw(`</li>`)
		}
		if b.HiddenItems > 0 {
			o.raw(`<li>`)
			more(o, b.HiddenItems)
			o.raw(`</li>`)
		}
		o.raw(`</ul>`)
	default:
		blockClass(o, b, " pv-unknown")
		o.raw(`<div class="pv-label">`)
		o.text(b.Key)
		o.raw(`</div><p class="pv-note">`)
		if b.Element == "" {
			o.raw(`Not a block the platform can show.`)
		} else {
			o.raw(`The platform has no block `)
			o.raw(`<code>`)
			o.text(b.Element)
			o.raw(`</code>.`)
		}
		o.raw(`</p>`)
	}
	if b.Message != "" && b.Element != "element-text" && b.Element != "element-separator" {
		o.raw(`<div class="pv-msg">`)
		o.text(b.Message)
		o.raw(`</div>`)
	}
	if b.Element == "element-select" && len(b.Items) > 0 {
		o.raw(`<div class="pv-msg">Options: `)
		for i, it := range b.Items {
			if i > 0 {
				o.raw(`, `)
			}
			title(o, it.Label, it.Value)
		}
		more(o, b.HiddenItems)
		o.raw(`</div>`)
	}
	if b.Visible != "" {
		o.raw(`<p class="pv-cond">`)
		visibleText(o, b.Visible)
		o.raw(`</p>`)
	}
	problems(o, b.Problems, "")
	o.raw(`</div>`)
}

func visibleText(o *out, v string) {
	if v == "never" {
		o.raw(`Never shown (visibleOn is "never")`)
		return
	}
	o.raw(`Shown when `)
	o.text(v)
}

func more(o *out, n int) {
	if n > 0 {
		o.raw(` and `)
		o.int(n)
		o.raw(` more`)
	}
}

func action(o *out, a *Action) {
	o.raw(`<div class="pv-action`)
	if len(a.Problems) > 0 {
		o.raw(` pv-has-problem`)
	}
	o.raw(`"`)
	if a.Line > 0 {
		o.raw(` data-line="`)
		o.int(a.Line)
		o.raw(`"`)
	}
	o.raw(`><span class="pv-btn`)
	switch a.Element {
	case "action-primary":
		o.raw(` pv-primary`)
	case "action-secondary":
	default:
		o.raw(` pv-unknown`)
	}
	o.raw(`">`)
	title(o, a.Label, a.Key)
	o.raw(`</span>`)
	if a.Handler == "open-url" && a.URL != "" {
		o.raw(`<span class="pv-msg">Opens `)
		o.text(a.URL)
		o.raw(`</span>`)
	}
	problems(o, a.Problems, "")
	o.raw(`</div>`)
}

// paragraphs writes plain text, a paragraph per blank-line-separated part.
func paragraphs(o *out, s string) {
	for _, p := range strings.Split(s, "\n\n") {
		o.raw(`<p>`)
		lines := strings.Split(p, "\n")
		for i, l := range lines {
			if i > 0 {
				o.raw(`<br>`)
			}
			o.text(l)
		}
		o.raw(`</p>`)
	}
}

// AppendHTML appends the panel's preview to b.
func (p *Panel) AppendHTML(b []byte) []byte {
	o := &out{b: b}
	o.raw(`<div class="pv" data-preview="panel">`)
	status(o, &p.Summary, "JSON data structure")
	if !p.Summary.Broken {
		o.raw(`<div class="pv-panel"><div class="pv-phead"><span class="pv-ptitle">`)
		title(o, p.Title, "JSON panel")
		o.raw(`</span><span class="pv-icons" aria-hidden="true">⟳ ⋯</span></div>`)
		problems(o, p.ObjectProblems, "")
		n := 1
		if p.Multi {
			n = 2
		}
		for i := range n {
			p.object(o, i)
		}
		o.raw(`</div>`)
	}
	o.raw(`</div>`)
	return o.b
}

// object writes one sample object; in a multiple-object panel the second
// is collapsed, as the platform shows all but the first.
func (p *Panel) object(o *out, i int) {
	o.raw(`<div class="pv-obj`)
	if i > 0 {
		o.raw(` pv-collapsed`)
	}
	o.raw(`">`)
	if p.Header != nil || p.Multi {
		o.raw(`<div class="pv-ohead`)
		if p.Header != nil && len(p.Header.Problems) > 0 {
			o.raw(` pv-has-problem`)
		}
		o.raw(`"><span class="pv-otitle">`)
		if p.Multi {
			if i == 0 {
				o.raw(`<span aria-hidden="true">▾ </span>`)
			} else {
				o.raw(`<span aria-hidden="true">▸ </span>`)
			}
		}
		o.raw(`Object title`)
		if p.Multi {
			o.raw(` `)
			o.int(i + 1)
		}
		o.raw(`</span>`)
		if p.Multi {
			o.raw(`<span class="pv-btn pv-small">Actions ▾</span>`)
		}
		o.raw(`</div>`)
		if p.Header != nil && i == 0 {
			problems(o, p.Header.Problems, "")
		}
	}
	if i > 0 {
		o.raw(`</div>`)
		return
	}
	if len(p.Fields) == 0 {
		o.raw(`<p class="pv-note">No fields: the object shows only its title.</p>`)
	} else {
		o.raw(`<dl class="pv-fields">`)
		for j := range p.Fields {
			f := &p.Fields[j]
			o.raw(`<div class="pv-frow`)
			if len(f.Problems) > 0 {
				o.raw(` pv-has-problem`)
			}
			o.raw(`"`)
			if f.Line > 0 {
				o.raw(` data-line="`)
				o.int(f.Line)
				o.raw(`"`)
			}
			o.raw(`><dt>`)
			if f.Label != "" {
				o.text(f.Label)
			} else {
				o.text(f.Key)
			}
			o.raw(`</dt><dd>`)
			sample(o, f.Kind)
			problems(o, f.Problems, "")
			o.raw(`</dd></div>`)
		}
		o.raw(`</dl>`)
		if p.HiddenFields > 0 {
			o.raw(`<p class="pv-note">`)
			o.int(p.HiddenFields)
			o.raw(` more fields are not shown.</p>`)
		}
	}
	o.raw(`</div>`)
}

// sample writes an example value of a field kind, formatted as the
// platform formats that kind.
func sample(o *out, kind string) {
	switch kind {
	case "text":
		o.raw(`Text`)
	case "numerical":
		o.raw(`1,250`)
	case "date":
		o.raw(`Dec 1, 2026`)
	case "time":
		o.raw(`2:30 PM`)
	case "date-time":
		o.raw(`Dec 1, 2026 2:30 PM`)
	case "email":
		o.raw(`<span class="pv-link">name@example.com</span>`)
	case "link":
		o.raw(`<span class="pv-link">example.com</span>`)
	case "phone":
		o.raw(`<span class="pv-link">+1 555 0100</span>`)
	case "address":
		o.raw(`<span class="pv-link">1 Main Street, Springfield</span>`)
	case "currency":
		o.raw(`€1,250.00`)
	case "label":
		o.raw(`<span class="pv-pill">Label</span>`)
	case "tags":
		o.raw(`<span class="pv-pill">Tag</span> <span class="pv-pill">Another tag</span>`)
	default:
		o.raw(`<span class="pv-ph">(no such field type)</span>`)
	}
}
