package ui

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// params are the parameters of a compatibility request: the query string
// and a form body merged (body values first, as net/http does), decoded
// leniently (see parseLenient).
type params struct {
	v       map[string][]string
	charset string // charset of the body's Content-Type, lower case, "" when none
	post    bool   // the parameters (some of them) came in a body
	files   map[string][]*multipart.FileHeader
}

// maxMemory is how much of a multipart body ParseMultipartForm keeps in
// memory before spilling files to disk; the body is capped anyway.
const maxMemory = 8 << 20

// readParams reads the query string and, for POST, the body: URL-encoded
// (parsed leniently) or multipart/form-data. Other body types are ignored,
// as the real services ignore them.
func readParams(r *http.Request) (params, error) {
	p := params{v: map[string][]string{}}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		ct, ctp, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		p.charset = strings.ToLower(ctp["charset"])
		switch ct {
		case "multipart/form-data":
			if err := r.ParseMultipartForm(maxMemory); err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return p, err
				}
				return p, badParam(CodeBadRequest, "malformed multipart body: "+err.Error())
			}
			for k, vs := range r.MultipartForm.Value {
				p.v[k] = append(p.v[k], vs...)
			}
			p.files = r.MultipartForm.File
			p.post = true
		case "application/x-www-form-urlencoded", "":
			body, err := io.ReadAll(r.Body)
			if err != nil {
				return p, err
			}
			if len(body) > 0 {
				parseLenient(p.v, string(body))
				p.post = true
			}
		}
	}
	parseLenient(p.v, r.URL.RawQuery)
	return p, nil
}

// get returns the first value of name, "" when absent.
func (p params) get(name string) string {
	if vs := p.v[name]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// getFold is get with a case-insensitive name (the L2T manual writes
// "Key", "Mobile", "SMS" in its table and "key", "mobile" in its URL).
func (p params) getFold(name string) (string, bool) {
	if vs, ok := p.v[name]; ok && len(vs) > 0 {
		return vs[0], true
	}
	for k, vs := range p.v {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0], true
		}
	}
	return "", false
}

// text returns parameter name decoded to UTF-8 (see decodeText).
func (p params) text(name string) string {
	return decodeText(p.get(name), p.charset)
}

// parseLenient parses a query string or URL-encoded body into v. Unlike
// url.ParseQuery it never fails: a '%' not followed by two hex digits is
// kept as is, ';' is an ordinary character, and so are '"', '>' and the
// like, because monitoring scripts written for Kannel put raw text in URLs
// (SPEC A5). '+' is a space, as in every form encoding.
func parseLenient(v map[string][]string, s string) {
	for s != "" {
		var kv string
		kv, s, _ = strings.Cut(s, "&")
		if kv == "" {
			continue
		}
		k, val, _ := strings.Cut(kv, "=")
		k = unescapeLenient(k)
		v[k] = append(v[k], unescapeLenient(val))
	}
}

func unescapeLenient(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b.WriteByte(' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// decodeText turns the bytes of a text parameter into UTF-8. sMsmode
// documents ISO-8859-15 (so '€' arrives as %A4) and its Unicode variant
// UTF-8; clients send either without saying which (SPEC A2). Rule: a
// declared Latin charset is obeyed; otherwise valid UTF-8 is taken as
// UTF-8 and anything else as ISO-8859-15, with 0x80-0x9F read as
// Windows-1252 (the seed's table lists € as %80 too, and Windows clients
// send ’ as %92). Pure ASCII is the same in all of them.
func decodeText(raw, charset string) string {
	switch charset {
	case "iso-8859-1", "latin1", "iso-8859-15", "latin-9", "latin9", "windows-1252", "cp1252":
		return latin9(raw)
	}
	if utf8.ValidString(raw) {
		return raw
	}
	return latin9(raw)
}

// latin9 decodes ISO-8859-15 bytes, with Windows-1252 for 0x80-0x9F.
func latin9(raw string) string {
	var b strings.Builder
	b.Grow(len(raw) + len(raw)/4)
	for i := 0; i < len(raw); i++ {
		b.WriteRune(latin9Rune(raw[i]))
	}
	return b.String()
}

func latin9Rune(c byte) rune {
	switch {
	case c < 0x80:
		return rune(c)
	case c < 0xA0:
		return cp1252High[c-0x80]
	}
	switch c {
	case 0xA4:
		return '€'
	case 0xA6:
		return 'Š'
	case 0xA8:
		return 'š'
	case 0xB4:
		return 'Ž'
	case 0xB8:
		return 'ž'
	case 0xBC:
		return 'Œ'
	case 0xBD:
		return 'œ'
	case 0xBE:
		return 'Ÿ'
	}
	return rune(c)
}

// cp1252High maps Windows-1252 0x80-0x9F; the five undefined codes stay
// C1 controls.
var cp1252High = [32]rune{
	'€', 0x81, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0x8D, 'Ž', 0x8F,
	0x90, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0x9D, 'ž', 'Ÿ',
}

// encodeLatin9 encodes UTF-8 text as ISO-8859-15 for the sMsmode answers
// (its documented charset); characters it lacks become '?', as sMsmode
// documents for characters outside its table.
func encodeLatin9(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < 0x80:
			b.WriteByte(byte(r))
		case r >= 0xA0 && r <= 0xFF && !latin9Replaced(byte(r)):
			b.WriteByte(byte(r))
		default:
			if c, ok := latin9Byte(r); ok {
				b.WriteByte(c)
			} else {
				b.WriteByte('?')
			}
		}
	}
	return b.String()
}

// latin9Replaced reports the Latin-1 positions ISO-8859-15 reassigned.
func latin9Replaced(c byte) bool {
	switch c {
	case 0xA4, 0xA6, 0xA8, 0xB4, 0xB8, 0xBC, 0xBD, 0xBE:
		return true
	}
	return false
}

func latin9Byte(r rune) (byte, bool) {
	switch r {
	case '€':
		return 0xA4, true
	case 'Š':
		return 0xA6, true
	case 'š':
		return 0xA8, true
	case 'Ž':
		return 0xB4, true
	case 'ž':
		return 0xB8, true
	case 'Œ':
		return 0xBC, true
	case 'œ':
		return 0xBD, true
	case 'Ÿ':
		return 0xBE, true
	}
	return 0, false
}

// decodeUTF16BE decodes Kannel's UCS-2 text (coding=2 without charset, or
// charset=UTF-16BE), refusing an odd number of bytes.
func decodeUTF16BE(raw string) (string, error) {
	if len(raw)%2 != 0 {
		return "", fmt.Errorf("UTF-16BE text of odd length %d", len(raw))
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = uint16(raw[2*i])<<8 | uint16(raw[2*i+1])
	}
	return string(utf16.Decode(u)), nil
}
