package writers

import (
	"maps"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
)

// aCatalogue compiles a catalogue of two events, a ticket's opening (in
// category "ticket") and a notice (in "ticket" and "desk"), with the writers
// given, and a part of events that names no category.
func aCatalogue(t *testing.T, writers ...*complaintsv1.StreamWriter) protoreflect.FileDescriptor {
	t.Helper()
	fileOptions := &descriptorpb.FileOptions{}
	proto.SetExtension(fileOptions, complaintsv1.E_StreamWriters, writers)
	event := func(name string, categories ...string) *descriptorpb.DescriptorProto {
		o := &descriptorpb.MessageOptions{}
		proto.SetExtension(o, complaintsv1.E_Categories, categories)
		return &descriptorpb.DescriptorProto{Name: proto.String(name), Options: o}
	}
	file, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name:    proto.String("tickets/v1/events.proto"),
		Package: proto.String("tickets.v1"),
		Syntax:  proto.String("proto3"),
		Options: fileOptions,
		MessageType: []*descriptorpb.DescriptorProto{
			event("TicketOpened", "ticket"),
			event("NoticeRequested", "ticket", "desk"),
			{Name: proto.String("Attachment")},
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return file
}

func writer(category, service string) *complaintsv1.StreamWriter {
	return &complaintsv1.StreamWriter{Category: category, Service: service}
}

func TestTheTableIsReadFromTheCatalogue(t *testing.T) {
	byCategory, placed := fromCatalogue(aCatalogue(t, writer("ticket", "helpdesk"), writer("desk", "frontdesk")))
	if want := map[string]string{"ticket": "helpdesk", "desk": "frontdesk"}; !maps.Equal(byCategory, want) {
		t.Errorf("writers = %v, want %v", byCategory, want)
	}
	want := map[string][]string{"TicketOpened": {"ticket"}, "NoticeRequested": {"ticket", "desk"}}
	if !maps.EqualFunc(placed, want, slices.Equal) {
		t.Errorf("categories = %v, want %v", placed, want)
	}
}

func TestACatalogueThatContradictsItselfIsRefused(t *testing.T) {
	for name, writers := range map[string][]*complaintsv1.StreamWriter{
		"a category twice":     {writer("ticket", "helpdesk"), writer("ticket", "frontdesk")},
		"the same line twice":  {writer("ticket", "helpdesk"), writer("ticket", "helpdesk")},
		"a writer of nothing":  {writer("", "helpdesk")},
		"a category of no one": {writer("ticket", "")},
	} {
		t.Run(name, func(t *testing.T) {
			file := aCatalogue(t, writers...)
			defer func() {
				if recover() == nil {
					t.Errorf("read a table from a catalogue with %s", name)
				}
			}()
			fromCatalogue(file)
		})
	}
}
