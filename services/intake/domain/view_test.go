package domain_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/intake/domain"
)

func fold(events ...proto.Message) domain.View {
	var v domain.View
	for _, e := range events {
		v = domain.EvolveView(v, e)
	}
	return v
}

func TestTheViewFoldsClocksFromTheClockStream(t *testing.T) {
	ts := func(d time.Duration) *timestamppb.Timestamp { return timestamppb.New(receivedAt.Add(d)) }
	reg, internal := complaintsv1.ClockKind_CLOCK_KIND_REGULATORY, complaintsv1.ClockKind_CLOCK_KIND_INTERNAL
	v := fold(
		&complaintsv1.ComplaintReceived{ComplaintId: "c1"},
		&complaintsv1.ClockStarted{Clock: "final-response", Kind: reg, Due: ts(8 * time.Hour)},
		&complaintsv1.ClockStarted{Clock: "resolution-sla", Kind: internal, Due: ts(4 * time.Hour)},
		&complaintsv1.ClockStarted{Clock: "acknowledgement", Kind: reg, Due: ts(time.Hour)},
		&complaintsv1.ClockStarted{Clock: "first-human-contact", Kind: internal, Due: ts(2 * time.Hour)},
		&complaintsv1.ClockMet{Clock: "acknowledgement"},
		&complaintsv1.ClockPaused{Clock: "resolution-sla"},
		&complaintsv1.ClockWarning{Clock: "first-human-contact"},
		&complaintsv1.ClockBreached{Clock: "first-human-contact"},
	)
	want := []domain.Clock{
		{Name: "final-response", Kind: "regulatory", Due: receivedAt.Add(8 * time.Hour), State: domain.ClockRunning},
		{Name: "resolution-sla", Kind: "internal", Due: receivedAt.Add(4 * time.Hour), State: domain.ClockPaused},
		{Name: "acknowledgement", Kind: "regulatory", Due: receivedAt.Add(time.Hour), State: domain.ClockMet},
		{Name: "first-human-contact", Kind: "internal", Due: receivedAt.Add(2 * time.Hour), State: domain.ClockBreached},
	}
	if !slices.Equal(v.Clocks, want) {
		t.Fatalf("clocks\n%+v\nwant\n%+v", v.Clocks, want)
	}
	v = domain.EvolveView(v, &complaintsv1.ClockResumed{Clock: "resolution-sla", Due: ts(6 * time.Hour)})
	v = domain.EvolveView(v, &complaintsv1.ClockMet{Clock: "first-human-contact", Late: true})
	if c := v.Clocks[1]; c.State != domain.ClockRunning || !c.Due.Equal(receivedAt.Add(6*time.Hour)) {
		t.Fatalf("resumed: %+v", c)
	}
	if c := v.Clocks[3]; c.State != domain.ClockMet || !c.Late {
		t.Fatalf("met late: %+v", c)
	}
}

func TestAClosedComplaintsRunningAndPausedClocksShowAsStopped(t *testing.T) {
	ts := func(d time.Duration) *timestamppb.Timestamp { return timestamppb.New(receivedAt.Add(d)) }
	internal := complaintsv1.ClockKind_CLOCK_KIND_INTERNAL
	v := fold(
		&complaintsv1.ComplaintReceived{ComplaintId: "c1"},
		&complaintsv1.ClockStarted{Clock: "first-human-contact", Kind: internal, Due: ts(2 * time.Hour)},
		&complaintsv1.ClockStarted{Clock: "resolution-sla", Kind: internal, Due: ts(4 * time.Hour)},
		&complaintsv1.ClockStarted{Clock: "first-response", Kind: internal, Due: ts(time.Hour)},
		&complaintsv1.ClockMet{Clock: "first-response"},
		&complaintsv1.ClockPaused{Clock: "resolution-sla"},
		&complaintsv1.ClockStopped{Clock: "first-human-contact", Reason: "the complaint was closed (no-response)"},
		&complaintsv1.ClockStopped{Clock: "resolution-sla", Reason: "the complaint was closed (no-response)"},
	)
	var states []string
	for _, c := range v.Clocks {
		states = append(states, c.Name+"="+c.State)
	}
	want := []string{"first-human-contact=stopped", "resolution-sla=stopped", "first-response=met"}
	if !slices.Equal(states, want) {
		t.Fatalf("clocks %v, want %v", states, want)
	}
}

func TestTheViewCountsTheCustomersEffort(t *testing.T) {
	v := fold(
		&complaintsv1.ComplaintReceived{ComplaintId: "c1", Channel: "web"},
		&complaintsv1.RepeatContactRecorded{Channel: "web"},
		&complaintsv1.RepeatContactRecorded{Channel: "phone", ChannelSwitch: true},
		&complaintsv1.CaseOpened{},
		&complaintsv1.CaseTriaged{Severity: "high", Priority: 2, Flags: []string{"regulatory"}, VulnerableCustomer: true},
		&complaintsv1.CaseAssigned{Team: "network-support"},
		&complaintsv1.CaseClaimed{Agent: "agent-7"},
		&complaintsv1.CaseTransferred{FromTeam: "network-support", ToTeam: "billing"},
		&complaintsv1.InformationRequested{},
	)
	if v.Status != domain.StatusAwaitingCustomer {
		t.Fatalf("status %s", v.Status)
	}
	v = fold2(v,
		&complaintsv1.InformationProvided{},
		&complaintsv1.CaseEscalated{Tier: 2},
		&complaintsv1.CaseResolved{Team: "billing", ResolvedAt: timestamppb.Now()},
		&complaintsv1.CaseReopened{Team: "billing"},
	)
	if v.Status != domain.StatusReopened {
		t.Fatalf("status %s", v.Status)
	}
	want := domain.Effort{Contacts: 4, RepeatContacts: 2, ChannelSwitches: 1, Transfers: 1, InformationRequests: 1, Reopens: 1}
	if v.Effort != want {
		t.Fatalf("effort %+v, want %+v", v.Effort, want)
	}
	if v.Team != "billing" || v.Agent != "agent-7" || v.Severity != "high" || v.Priority != 2 || v.Tier != 2 ||
		!v.Vulnerable || !slices.Equal(v.Flags, []string{"regulatory"}) {
		t.Fatalf("view %+v", v)
	}
}

func fold2(v domain.View, events ...proto.Message) domain.View {
	for _, e := range events {
		v = domain.EvolveView(v, e)
	}
	return v
}

func TestTheViewKeepsWhatTheCustomerMaySee(t *testing.T) {
	at := timestamppb.New(receivedAt)
	v := fold(
		&complaintsv1.ComplaintReceived{ComplaintId: "c1"},
		&complaintsv1.CaseOpened{ComplaintId: "c1"},
		&complaintsv1.CaseAssigned{ComplaintId: "c1", Team: "billing", Agent: "a-1", AgentDisplayName: "Sam from Billing"},
		&complaintsv1.CaseClaimed{ComplaintId: "c1", Agent: "a-2", AgentDisplayName: "Kim from Billing"},
		&complaintsv1.InformationRequested{ComplaintId: "c1", RequestId: "r-1", Question: "Which router?", RequestedAt: at},
		&complaintsv1.InformationRequested{ComplaintId: "c1", RequestId: "r-2", Question: "Since when?", RequestedAt: at},
		&complaintsv1.InformationProvided{ComplaintId: "c1", RequestId: "r-1"},
	)
	if v.AgentDisplayName != "Kim from Billing" || len(v.OpenRequests) != 1 || v.OpenRequests[0].ID != "r-2" ||
		v.Now() == "" || v.Survey() != domain.SurveyNotRequested {
		t.Fatalf("view %+v", v)
	}
	v = domain.EvolveView(v, &complaintsv1.CaseResolved{ComplaintId: "c1", ResolvedAt: at})
	v = domain.EvolveView(v, &complaintsv1.RedressDecided{ComplaintId: "c1", Kind: complaintsv1.RedressKind_REDRESS_KIND_REFUND, AmountMinor: 100, Currency: "GBP"})
	v = domain.EvolveView(v, &complaintsv1.SurveyRequested{ComplaintId: "c1"})
	want := []domain.RedressItem{{Kind: complaintsv1.RedressKind_REDRESS_KIND_REFUND, AmountMinor: 100, Currency: "GBP"}}
	if len(v.OpenRequests) != 0 || !slices.Equal(v.RedressItems, want) || v.Survey() != domain.SurveyRequested {
		t.Fatalf("after resolution: open %+v, redress %+v, survey %s", v.OpenRequests, v.RedressItems, v.Survey())
	}
}
