package queue

import (
	"strings"

	"gsmbox/store"
)

// template is a text with mail-merge placeholders (SPEC Q8), parsed once
// per request. Three syntaxes, from the seeds:
//
//	[[param1]]  L2T "Excel 2 SMS": a column name, exact spelling
//	[v1]        SMStoB "publipostage": variables v1, v2, v3...
//	{{name}}    named fields: per-recipient values, then the contact's
//	            fields (first_name/prenom, last_name/nom, company/societe,
//	            mobile/numero, and its free fields)
//
// Substitution is a single pass: a value is inserted as plain text and never
// scanned again, so a value containing "{{x}}" stays as it is (SPEC S8:
// templates are data, never code).
type template struct {
	segs []segment
}

type segment struct {
	lit   string // literal text, when name is ""
	name  string // placeholder name
	token string // the placeholder as written, for error messages
}

// parseTemplate splits text into literals and placeholders. Text without
// any placeholder gives one literal segment.
func parseTemplate(text string) template {
	var t template
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.segs = append(t.segs, segment{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(text); {
		if name, n := placeholderAt(text[i:]); n > 0 {
			flush()
			t.segs = append(t.segs, segment{name: name, token: text[i : i+n]})
			i += n
			continue
		}
		lit.WriteByte(text[i])
		i++
	}
	flush()
	return t
}

// placeholderAt recognises a placeholder at the start of s and returns its
// name and length, or 0.
func placeholderAt(s string) (string, int) {
	switch {
	case strings.HasPrefix(s, "[["):
		if end := strings.Index(s, "]]"); end > 2 && validName(s[2:end]) {
			return s[2:end], end + 2
		}
	case strings.HasPrefix(s, "{{"):
		if end := strings.Index(s, "}}"); end > 2 {
			if name := strings.TrimSpace(s[2:end]); validName(name) {
				return name, end + 2
			}
		}
	case strings.HasPrefix(s, "[v"):
		end := 2
		for end < len(s) && s[end] >= '0' && s[end] <= '9' {
			end++
		}
		if end > 2 && end < len(s) && s[end] == ']' {
			return s[1:end], end + 1
		}
	}
	return "", 0
}

// validName accepts field names: letters (any script), digits, '_', '-',
// '.'; no spaces, so "[[ not a field ]]" stays literal.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		switch {
		case r == '_' || r == '-' || r == '.':
		case r >= '0' && r <= '9':
		case r > 127 || (r|0x20 >= 'a' && r|0x20 <= 'z'):
		default:
			return false
		}
	}
	return true
}

// static reports whether the text has no placeholder.
func (t template) static() bool {
	return len(t.segs) <= 1 && (len(t.segs) == 0 || t.segs[0].name == "")
}

// render fills the placeholders from values (an explicit empty value is
// used as is), then from the contact c (may be nil; its empty fields count
// as missing). It returns the first placeholder it could not fill.
func (t template) render(values map[string]string, c *store.Contact) (string, string) {
	if t.static() {
		if len(t.segs) == 0 {
			return "", ""
		}
		return t.segs[0].lit, ""
	}
	var b strings.Builder
	for _, s := range t.segs {
		if s.name == "" {
			b.WriteString(s.lit)
			continue
		}
		v, ok := lookupField(s.name, values, c)
		if !ok {
			return "", s.token
		}
		b.WriteString(v)
	}
	return b.String(), ""
}

func lookupField(name string, values map[string]string, c *store.Contact) (string, bool) {
	if v, ok := values[name]; ok {
		return v, true
	}
	if c == nil {
		return "", false
	}
	// An empty contact field counts as missing: "Bonjour ," is worse than
	// a recipient rejected with a reason.
	if v := c.Fields[name]; v != "" {
		return v, true
	}
	var v string
	switch strings.ToLower(name) {
	case "first_name", "firstname", "prenom", "prénom":
		v = c.FirstName
	case "last_name", "lastname", "nom", "name":
		v = c.LastName
	case "company", "societe", "société":
		v = c.Company
	case "mobile", "numero", "numéro", "number":
		v = c.Mobile
	}
	return v, v != ""
}
