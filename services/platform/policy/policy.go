// Package policy loads the data a company decides with — routing table,
// root-cause taxonomy, regimes, redress policy, customer message templates —
// from versioned YAML files.
//
// Every policy has a default file embedded in the binary (defaults/). A
// directory named by the operator (CONFIG_DIR) overrides any of them file by
// file: a file present there replaces the default of the same name, a file
// absent there leaves the default in force.
//
// The loader is generic and knows nothing of any policy's meaning: a service
// declares its policy as its own typed struct (in its domain package, which
// does not import this one) with two methods,
//
//	Validate() error          // field errors, "rules[3].team: is required"
//	SetVersion(version string) // receives label+digest once loaded
//
// and its wiring calls Load[domain.Routing](dir, "routing"). Decoding is
// strict: an unknown field is an error, so a misspelt key never silently
// falls back to a default. Durations are written as Go durations ("30s",
// "72h"), so regimes may be as short as seconds.
package policy

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

//go:embed defaults/*.yaml
var defaults embed.FS

// Defaults is the file system of the embedded default policy files, one
// "<name>.yaml" per policy.
func Defaults() fs.FS {
	sub, err := fs.Sub(defaults, "defaults")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// Document is what a policy's typed struct provides: a check of its own
// fields and a place for its loaded version. PT is a pointer to T.
type Document[T any] interface {
	*T
	// Validate reports every field in error, joined (errors.Join), each as
	// "<field path>: <problem>", e.g. "rules[3].team: is required".
	Validate() error
	// SetVersion receives the loaded version, label+digest.
	SetVersion(version string)
}

// Loaded is one policy as read and validated.
type Loaded[T any] struct {
	// Name is the policy's name, "routing"; its file is Name+".yaml".
	Name string
	// Version is the file's own "version:" label, a "+", and the first 12
	// hex digits of the SHA-256 of the file's content.
	Version string
	// Source says where the file came from: "embedded default" or its path.
	Source string
	// Value is the decoded, validated policy.
	Value T
}

// Ref names this policy and one of its rules, for a decision event's
// decided_by. ruleID is empty when the policy as a whole decided.
func (l Loaded[T]) Ref(ruleID string) *complaintsv1.PolicyRef {
	return &complaintsv1.PolicyRef{Policy: l.Name, Version: l.Version, RuleId: ruleID}
}

// Error is a policy file that cannot be used: it names the file and lists
// every problem found, each "<field path>: <problem>" or
// "line:column: <problem>" for a file that does not decode.
type Error struct {
	File     string
	Problems []string
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = e.File + ": " + p
	}
	return strings.Join(lines, "\n")
}

// Load reads the policy name: dir/<name>.yaml when dir is not empty and the
// file exists there, the embedded default otherwise. The file is decoded
// strictly into T, its version label checked, and T's Validate run.
func Load[T any, PT Document[T]](dir, name string) (Loaded[T], error) {
	file := name + ".yaml"
	if dir != "" {
		path := filepath.Join(dir, file)
		data, err := os.ReadFile(path)
		switch {
		case err == nil:
			return Parse[T, PT](name, path, data)
		case !errors.Is(err, fs.ErrNotExist):
			return Loaded[T]{}, fmt.Errorf("policy %s: %w", name, err)
		}
	}
	return LoadFS[T, PT](Defaults(), name)
}

// LoadFS reads the policy name from fsys (<name>.yaml at its root).
func LoadFS[T any, PT Document[T]](fsys fs.FS, name string) (Loaded[T], error) {
	data, err := fs.ReadFile(fsys, name+".yaml")
	if err != nil {
		return Loaded[T]{}, fmt.Errorf("policy %s: %w", name, err)
	}
	return Parse[T, PT](name, "embedded default", data)
}

// Parse decodes and validates one policy file's content. source says where
// it came from, for Loaded.Source.
func Parse[T any, PT Document[T]](name, source string, data []byte) (Loaded[T], error) {
	file := name + ".yaml"
	var label struct {
		Version any `yaml:"version"`
	}
	if err := safely(func() error { return yaml.Unmarshal(data, &label) }); err != nil {
		return Loaded[T]{}, &Error{File: file, Problems: []string{yamlProblem(err)}}
	}
	var problems []string
	labelText, isText := label.Version.(string)
	switch {
	case label.Version == nil:
		problems = append(problems, "version: is required")
	case !isText || strings.TrimSpace(labelText) == "":
		problems = append(problems, "version: must be a non-empty string label (quote dates: \"2026-11-01\")")
	case strings.ContainsAny(labelText, "+ \t\n"):
		problems = append(problems, "version: must not contain '+' or spaces")
	}
	var value T
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField())
	if err := safely(func() error { return dec.Decode(&value) }); err != nil {
		problems = append(problems, yamlProblem(err))
		return Loaded[T]{}, &Error{File: file, Problems: problems}
	}
	if err := PT(&value).Validate(); err != nil {
		problems = append(problems, split(err)...)
	}
	if len(problems) > 0 {
		return Loaded[T]{}, &Error{File: file, Problems: problems}
	}
	sum := sha256.Sum256(data)
	version := labelText + "+" + hex.EncodeToString(sum[:])[:12]
	PT(&value).SetVersion(version)
	return Loaded[T]{Name: name, Version: version, Source: source, Value: value}, nil
}

// safely runs a YAML decoding step, turning a panic of the decoder (it has
// panicked on a tagged sequence entry such as "rules:\n !0 0") into an error.
func safely(decode func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the file could not be decoded as YAML (%v)", r)
		}
	}()
	return decode()
}

// split flattens joined errors into one problem each.
func split(err error) []string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, split(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

// yamlProblem states a decoding error with its line and column, without the
// library's multi-line source excerpt.
func yamlProblem(err error) string {
	var ye yaml.Error
	if errors.As(err, &ye) {
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			return fmt.Sprintf("line %d column %d: %s", tk.Position.Line, tk.Position.Column, ye.GetMessage())
		}
		return ye.GetMessage()
	}
	return err.Error()
}
