// Package writers says which service may write which events: each stream
// category has exactly one writer, and each event type of the catalogue
// belongs to one category (a customer notification to several). The event
// catalogue says both (proto/complaints/v1/events.proto, its options
// stream_writers and categories); this package reads them from the compiled
// catalogue when the program starts and names no service itself. NATS
// permissions are generated from it, and every consumer checks an event
// against it before acting on it, so a forged event is refused even where
// permissions are misconfigured.
package writers

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// ByCategory names the one service allowed to write each stream category, as
// the catalogue lists them (option stream_writers of events.proto). It is
// read, never written.
var ByCategory map[string]string

// categoriesOf places every event of the catalogue in the categories whose
// streams may hold it, by the message's short name, as each event says
// (option categories). The test beside this file fails when the catalogue
// has an event that names no category.
var categoriesOf map[string][]string

func init() {
	ByCategory, categoriesOf = fromCatalogue(complaintsv1.File_complaints_v1_events_proto)
}

// fromCatalogue reads the writers table from the catalogue's options. A
// category listed twice, or a writer with no category or no service, is a
// catalogue that says nothing reliable about who writes what: it panics, so
// no program runs on it.
func fromCatalogue(file protoreflect.FileDescriptor) (map[string]string, map[string][]string) {
	byCategory := map[string]string{}
	for _, w := range proto.GetExtension(file.Options(), complaintsv1.E_StreamWriters).([]*complaintsv1.StreamWriter) {
		category, service := w.GetCategory(), w.GetService()
		if category == "" || service == "" {
			panic(fmt.Sprintf("writers: %s lists a stream writer without a category or a service (%q, %q)", file.Path(), category, service))
		}
		if _, twice := byCategory[category]; twice {
			panic(fmt.Sprintf("writers: %s lists category %q twice: a category has one writer", file.Path(), category))
		}
		byCategory[category] = service
	}
	placed := map[string][]string{}
	messages := file.Messages()
	for i := range messages.Len() {
		m := messages.Get(i)
		if categories := proto.GetExtension(m.Options(), complaintsv1.E_Categories).([]string); len(categories) > 0 {
			placed[string(m.Name())] = categories
		}
	}
	return byCategory, placed
}

// catalogue is the package of every event type name ("complaints.v1.").
var catalogue = string(complaintsv1.File_complaints_v1_events_proto.Package()) + "."

// Categories returns every category whose streams may hold an event type of
// the catalogue; false if the type is not one of the catalogue's events.
func Categories(eventType string) ([]string, bool) {
	name, ok := strings.CutPrefix(eventType, catalogue)
	if !ok {
		return nil, false
	}
	c, ok := categoriesOf[name]
	return c, ok && len(c) > 0
}

// Writer returns the service allowed to write a category; false if the
// category is unknown.
func Writer(category string) (string, bool) {
	s, ok := ByCategory[category]
	return s, ok
}

// EventTypes lists the event types a service may write, as full names.
func EventTypes(service string) []string {
	var out []string
	for name, cats := range categoriesOf {
		if slices.ContainsFunc(cats, func(c string) bool { return ByCategory[c] == service }) {
			out = append(out, catalogue+name)
		}
	}
	slices.Sort(out)
	return out
}

// ForgedError says why an event does not come from the service allowed to
// write it.
type ForgedError struct {
	Category, EventType, Service string
	Reason                       string
}

func (e *ForgedError) Error() string {
	return fmt.Sprintf("forged event: %s (category %q, type %q, service %q)", e.Reason, e.Category, e.EventType, e.Service)
}

// Check accepts an event only if its stream category, its type and the
// service that says it wrote it all agree with this table: the category has
// a writer, the type belongs to that category, and the service is that
// writer.
func Check(category, eventType, service string) error {
	forged := func(reason string) error {
		return &ForgedError{Category: category, EventType: eventType, Service: service, Reason: reason}
	}
	writer, ok := ByCategory[category]
	if !ok {
		return forged("no service writes this category")
	}
	typeCategories, ok := Categories(eventType)
	if !ok {
		return forged("not an event type of the catalogue")
	}
	if !slices.Contains(typeCategories, category) {
		return forged("the type belongs to category " + strings.Join(typeCategories, ", "))
	}
	if service != writer {
		return forged("only " + writer + " writes this category")
	}
	return nil
}
