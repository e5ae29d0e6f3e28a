// Package es holds the event-sourcing mechanics every service shares: the
// protobuf event codec and the command handler that loads an aggregate's
// stream, asks the pure decider what happens, and appends the outcome with
// optimistic concurrency.
package es

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"

	// The v1 catalogue registers its messages so Decode can find them.
	_ "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// SchemaVersion of the v1 event catalogue.
const SchemaVersion = 1

// TypeOf is an event's type on the log: the protobuf message's full name.
func TypeOf(m proto.Message) string { return string(proto.MessageName(m)) }

// ShortType is the message name without its package: "complaints.v1.CaseOpened"
// becomes "CaseOpened". It is how timelines name steps.
func ShortType(eventType string) string {
	return string(protoreflect.FullName(eventType).Name())
}

// Encode turns a protobuf event into EventData for the log.
func Encode(id string, m proto.Message, md eventlog.Metadata) (eventlog.EventData, error) {
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return eventlog.EventData{}, fmt.Errorf("encode %s: %w", TypeOf(m), err)
	}
	if md.RecordedAt.IsZero() {
		md.RecordedAt = time.Now().UTC()
	}
	return eventlog.EventData{ID: id, Type: TypeOf(m), SchemaVersion: SchemaVersion, Data: data, Metadata: md}, nil
}

// Decode turns a recorded event back into its protobuf message. Every message
// of the catalogue is known once its generated package is linked in.
func Decode(e eventlog.RecordedEvent) (proto.Message, error) {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(e.Type))
	if err != nil {
		return nil, fmt.Errorf("decode event %s of type %q: %w", e.ID, e.Type, err)
	}
	m := mt.New().Interface()
	if err := proto.Unmarshal(e.Data, m); err != nil {
		return nil, fmt.Errorf("decode event %s of type %q: %w", e.ID, e.Type, err)
	}
	return m, nil
}
