package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DecodeJSON reads a JSON body into dst. It refuses a body that is not
// application/json (415), one over MaxBodyBytes (413), unknown fields (a
// key must spell its field's name exactly, case included), trailing data,
// strings that are not valid UTF-8 or hold NUL, and control characters in
// ids (400), naming the field at fault by its full path (customer.phone).
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any) *Problem {
	if p := CheckContentType(r); p != nil {
		return p
	}
	return Decode(http.MaxBytesReader(w, r.Body, MaxBodyBytes), dst)
}

// CheckContentType answers 415 unless the request says its body is
// application/json (parameters such as charset are allowed).
func CheckContentType(r *http.Request) *Problem {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "application/json" {
		got := ct
		if got == "" {
			got = "none"
		}
		return &Problem{Type: TypeUnsupportedMediaType, Title: "Unsupported media type", Status: http.StatusUnsupportedMediaType,
			Detail: fmt.Sprintf("the body must be application/json (Content-Type: %.60q given)", got)}
	}
	return nil
}

// Decode reads one JSON object from body into dst with the checks of
// DecodeJSON but the Content-Type's. NATS request handlers use it on a
// message's data.
func Decode(body io.Reader, dst any) *Problem {
	data, err := io.ReadAll(io.LimitReader(body, MaxBodyBytes+1))
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) || len(data) > MaxBodyBytes {
		return tooLarge()
	}
	if err != nil {
		return malformed("the body could not be read")
	}
	return DecodeBytes(data, dst)
}

// DecodeBytes is Decode over a body already read.
func DecodeBytes(data []byte, dst any) *Problem {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		if dec.More() || dec.Decode(&struct{}{}) != io.EOF {
			return malformed("the body must hold a single JSON object")
		}
		if field, bad := inexactKey(data, reflect.TypeOf(dst)); bad {
			return unknownField(field)
		}
		if fe, bad := checkStrings(data); bad {
			return Invalid(fe)
		}
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return Invalid(FieldError{Field: field, Detail: "must be of JSON type " + jsonKind(typeErr.Type)})
	case errors.As(err, &syntaxErr):
		return malformed(fmt.Sprintf("malformed JSON at byte %d", syntaxErr.Offset))
	case errors.Is(err, io.EOF):
		return malformed("the body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return malformed("the body ends before its JSON does")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		if field, bad := inexactKey(data, reflect.TypeOf(dst)); bad {
			return unknownField(field)
		}
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		if uq, e := unquote(name); e == nil {
			name = uq
		}
		return unknownField(unknownFieldPath(data, reflect.TypeOf(dst), name))
	default:
		return malformed("the body is not the expected JSON object")
	}
}

func unknownField(field string) *Problem {
	if field == "" {
		field = `""`
	}
	return Invalid(FieldError{Field: field, Detail: "is not a known field"})
}

// inexactKey returns the path of the first object key in data (in document
// order) that does not name a field of dst's type exactly. encoding/json
// also fills a field from a key that matches its name only when case is
// ignored ("ID" for "id"), so such a key would pass every check keyed on the
// field's name (ids may hold no control characters) while still setting
// the field: it is an unknown field here. Keys of maps and of values of
// interface type are free.
func inexactKey(data []byte, dst reflect.Type) (string, bool) {
	field, bad := "", false
	_ = walkJSON(data, func(segs []string, _ []byte, _ string, key bool) bool {
		if key && !knownPath(dst, segs) {
			field, bad = joinPath(segs), true
			return false
		}
		return true
	})
	return field, bad
}

func tooLarge() *Problem {
	return &Problem{Type: TypeBadRequest, Title: "Request body too large", Status: http.StatusRequestEntityTooLarge,
		Detail: fmt.Sprintf("the body must be at most %d bytes", MaxBodyBytes)}
}

func unquote(s string) (string, error) {
	var out string
	err := json.Unmarshal([]byte(s), &out)
	return out, err
}

// jsonKind names a Go type the way a JSON client thinks of it.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return t.Kind().String()
}

// IsID reports whether a field path names an identifier: its last segment
// is "id" or ends in "_id". Identifiers may hold no control characters.
func IsID(path string) bool {
	last := path[strings.LastIndexByte(path, '.')+1:]
	if path == "" {
		return false
	}
	return last == "id" || strings.HasSuffix(last, "_id")
}

// CheckText records an error for a string that is not valid UTF-8 or
// holds NUL; for an identifier, also any control character. Handlers use it
// on values that do not come through the decoder (path values, headers).
func (v *Validator) CheckText(s, field string) {
	if detail, bad := textProblem(s, IsID(field)); bad {
		v.errs = append(v.errs, FieldError{Field: field, Detail: detail})
	}
}

// CheckID is CheckText for an identifier whatever its name.
func (v *Validator) CheckID(s, field string) {
	if detail, bad := textProblem(s, true); bad {
		v.errs = append(v.errs, FieldError{Field: field, Detail: detail})
	}
}

func textProblem(s string, id bool) (string, bool) {
	switch {
	case !utf8.ValidString(s):
		return "must be valid UTF-8", true
	case strings.IndexByte(s, 0) >= 0:
		return "must not contain NUL characters", true
	case id && strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "must not contain control characters", true
	}
	return "", false
}

// checkStrings walks the JSON in data (already known to be well formed) and
// returns the first string or key that is not valid UTF-8, holds NUL, or,
// in an identifier, a control character. encoding/json itself replaces
// invalid bytes and lone surrogate escapes by U+FFFD without a word, so the
// raw bytes of each string are checked, not the decoded value.
func checkStrings(data []byte) (FieldError, bool) {
	var found FieldError
	bad := false
	_ = walkJSON(data, func(segs []string, raw []byte, s string, key bool) bool {
		path := joinPath(segs)
		detail := ""
		if !utf8.Valid(raw) || strings.Count(s, "\uFFFD") > literalReplacementChars(raw) {
			detail = "must be valid UTF-8"
		} else if d, b := textProblem(s, !key && IsID(path)); b {
			detail = d
		}
		if detail != "" {
			found, bad = FieldError{Field: path, Detail: detail}, true
			return false
		}
		return true
	})
	return found, bad
}

// literalReplacementChars counts the U+FFFD characters a client really sent
// in raw: as UTF-8 bytes or as a \ufffd escape.
func literalReplacementChars(raw []byte) int {
	n := bytes.Count(raw, []byte("\uFFFD"))
	lower := bytes.ToLower(raw)
	return n + bytes.Count(lower, []byte(`\ufffd`))
}

// frame is one open object or array while walking JSON.
type frame struct {
	array     bool
	key       string
	hasKey    bool
	expectKey bool
}

// joinPath names a field by its path: segments joined by dots, an empty
// key shown as "".
func joinPath(segs []string) string {
	parts := make([]string, len(segs))
	for i, s := range segs {
		if s == "" {
			s = `""`
		}
		parts[i] = s
	}
	if len(parts) == 0 {
		return "body"
	}
	return strings.Join(parts, ".")
}

// walkJSON calls visit for every object key (key true, path ending in the
// key) and string value of the JSON value in data, with the raw bytes the
// token was read from. Paths are the keys leading there, without array
// indexes, as encoding/json names fields (customer.phones.number). visit
// returns false to stop.
func walkJSON(data []byte, visit func(segs []string, raw []byte, s string, key bool) bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []frame
	path := func() []string {
		segs := make([]string, 0, len(stack))
		for _, f := range stack {
			if !f.array && f.hasKey {
				segs = append(segs, f.key)
			}
		}
		return segs
	}
	valueDone := func() {
		if n := len(stack); n > 0 && !stack[n-1].array {
			stack[n-1].expectKey = true
		}
	}
	prev := int64(0)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		end := dec.InputOffset()
		raw := data[prev:end]
		prev = end
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{expectKey: true})
			case '[':
				stack = append(stack, frame{array: true})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].expectKey {
				stack[n-1].key, stack[n-1].hasKey = t, true
				stack[n-1].expectKey = false
				if !visit(path(), raw, t, true) {
					return nil
				}
				continue
			}
			if !visit(path(), raw, t, false) {
				return nil
			}
			valueDone()
		default:
			valueDone()
		}
	}
}

// unknownFieldPath finds the full path of the unknown field name in data:
// the first key by that name whose parent, in dst's type, has no such
// field. It falls back to name alone.
func unknownFieldPath(data []byte, dst reflect.Type, name string) string {
	result := name
	_ = walkJSON(data, func(segs []string, _ []byte, s string, key bool) bool {
		if !key || s != name {
			return true
		}
		if !knownPath(dst, segs) {
			result = joinPath(segs)
			return false
		}
		return true
	})
	return result
}

// knownPath reports whether the dotted path segs names a field of t, each
// segment exactly as the field's JSON name is spelled.
func knownPath(t reflect.Type, segs []string) bool {
	for _, seg := range segs {
		t = elemType(t)
		if t == nil || reflect.PointerTo(t).Implements(unmarshalerType) {
			return true
		}
		switch t.Kind() {
		case reflect.Map:
			t = t.Elem()
		case reflect.Interface:
			return true
		case reflect.Struct:
			f, ok := jsonField(t, seg)
			if !ok {
				return false
			}
			t = f
		default:
			return true
		}
	}
	return true
}

// unmarshalerType is json.Unmarshaler: a type that reads its own JSON
// knows its own keys.
var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// elemType looks through pointers, slices and arrays.
func elemType(t reflect.Type) reflect.Type {
	for t != nil {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			t = t.Elem()
		default:
			return t
		}
	}
	return nil
}

// jsonField is the type of the field of struct t whose JSON name is name,
// exactly (not ignoring case as encoding/json does).
func jsonField(t reflect.Type, name string) (reflect.Type, bool) {
	var walk func(t reflect.Type) (reflect.Type, bool)
	walk = func(t reflect.Type) (reflect.Type, bool) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			tagName, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && tagName == "" {
				if et := elemType(f.Type); et != nil && et.Kind() == reflect.Struct {
					if ft, ok := walk(et); ok {
						return ft, true
					}
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			n := tagName
			if n == "" {
				n = f.Name
			}
			if n == name {
				return f.Type, true
			}
		}
		return nil, false
	}
	return walk(t)
}

// PathID is the path value name of r, refused (400 naming it) when it is
// empty, not valid UTF-8 or holds a control character.
func PathID(r *http.Request, name string) (string, *Problem) {
	id := r.PathValue(name)
	var v Validator
	v.Required(id, name)
	v.CheckID(id, name)
	return id, v.Problem()
}
