package preview

import "strings"

// markdown writes the small part of Markdown an element-text with
// markdown: true is likely to use: "#" headings, paragraphs, "-" or "*"
// lists, **bold**, *italic* or _italic_, and `code`. Links show as their
// text. Everything else is text, escaped like all of the document's text.
func markdown(o *out, s string) {
	inList := false
	endList := func() {
		if inList {
			o.raw(`</ul>`)
			inList = false
		}
	}
	for _, line := range strings.Split(s, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "":
			endList()
		case strings.HasPrefix(t, "#"):
			endList()
			level := len(t) - len(strings.TrimLeft(t, "#"))
			o.raw(`<p class="pv-md-h`)
			if level > 1 {
				o.raw(`2`)
			}
			o.raw(`">`)
			inline(o, strings.TrimSpace(t[level:]))
			o.raw(`</p>`)
		case strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* "):
			if !inList {
				o.raw(`<ul>`)
				inList = true
			}
			o.raw(`<li>`)
			inline(o, t[2:])
			o.raw(`</li>`)
		default:
			endList()
			o.raw(`<p>`)
			inline(o, t)
			o.raw(`</p>`)
		}
	}
	endList()
}

// inline writes emphasis, code and link text; unmatched markers stay text.
func inline(o *out, s string) {
	for s != "" {
		i := strings.IndexAny(s, "*_`[")
		if i < 0 {
			o.text(s)
			return
		}
		o.text(s[:i])
		s = s[i:]
		switch {
		case strings.HasPrefix(s, "**"):
			if j := strings.Index(s[2:], "**"); j > 0 {
				o.raw(`<strong>`)
				o.text(s[2 : 2+j])
				o.raw(`</strong>`)
				s = s[4+j:]
				continue
			}
		case s[0] == '*' || s[0] == '_':
			if j := strings.IndexByte(s[1:], s[0]); j > 0 {
				o.raw(`<em>`)
				o.text(s[1 : 1+j])
				o.raw(`</em>`)
				s = s[2+j:]
				continue
			}
		case s[0] == '`':
			if j := strings.IndexByte(s[1:], '`'); j > 0 {
				o.raw(`<code>`)
				o.text(s[1 : 1+j])
				o.raw(`</code>`)
				s = s[2+j:]
				continue
			}
		case s[0] == '[':
			if j := strings.Index(s, "]("); j > 0 {
				if k := strings.IndexByte(s[j:], ')'); k > 0 {
					o.raw(`<span class="pv-link">`)
					o.text(s[1:j])
					o.raw(`</span>`)
					s = s[j+k+1:]
					continue
				}
			}
		}
		o.text(s[:1])
		s = s[1:]
	}
}
