package domain_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/intake/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider/decidertest"
)

var customers = domain.NewCustomerDecider(policy)

func opened(id, product string, at time.Time) *complaintsv1.CustomerComplaintIndexed {
	return &complaintsv1.CustomerComplaintIndexed{CustomerId: "cust-1", ComplaintId: id, Product: product, Change: domain.ChangeOpened,
		At: timestamppb.New(at), Channel: "web"}
}

func change(id, product, what string, at time.Time) *complaintsv1.CustomerComplaintIndexed {
	return &complaintsv1.CustomerComplaintIndexed{CustomerId: "cust-1", ComplaintId: id, Product: product, Change: what, At: timestamppb.New(at)}
}

func route(id, product string, at time.Time) domain.RouteSubmission {
	return domain.RouteSubmission{CustomerID: "cust-1", ComplaintID: id, Product: product, Channel: "web", At: at}
}

func TestAFirstSubmissionOpensAComplaint(t *testing.T) {
	decidertest.For(t, customers).Given().When(route("c1", "broadband", receivedAt)).
		Then(opened("c1", "broadband", receivedAt)).
		ThenState(func(t testing.TB, c domain.Customer) {
			if k, ok := c.OpenFor("broadband"); !ok || k.ID != "c1" || c.Status != domain.KnownCustomer {
				t.Errorf("state %+v", c)
			}
		})
}

func TestWhileAComplaintIsOpenASubmissionAboutTheSameProductOpensNothing(t *testing.T) {
	decidertest.For(t, customers).Given(opened("c1", "broadband", receivedAt)).
		When(route("c2", "broadband", receivedAt.Add(time.Hour))).ThenNothing().
		ThenState(func(t testing.TB, c domain.Customer) {
			if k, _ := c.OpenFor("broadband"); k.ID != "c1" {
				t.Errorf("open complaint %+v", k)
			}
		})
}

func TestASubmissionAboutAnotherProductOpensItsOwnComplaint(t *testing.T) {
	at := receivedAt.Add(time.Hour)
	decidertest.For(t, customers).Given(opened("c1", "broadband", receivedAt)).
		When(route("c2", "tv", at)).Then(opened("c2", "tv", at))
}

func TestTheSameSubmissionRoutedAgainChangesNothing(t *testing.T) {
	decidertest.For(t, customers).Given(opened("c1", "broadband", receivedAt)).
		When(route("c1", "broadband", receivedAt)).ThenNothing()
}

func TestANewComplaintWithinTheWindowAfterClosureIsARecontact(t *testing.T) {
	closed := receivedAt.Add(48 * time.Hour)
	at := closed.Add(29 * 24 * time.Hour)
	want := opened("c2", "broadband", at)
	want.RecontactOf = "c1"
	decidertest.For(t, customers).Given(opened("c1", "broadband", receivedAt), change("c1", "broadband", domain.ChangeClosed, closed)).
		When(route("c2", "broadband", at)).Then(want)
}

func TestANewComplaintAfterTheWindowIsNotLinked(t *testing.T) {
	closed := receivedAt.Add(48 * time.Hour)
	at := closed.Add(31 * 24 * time.Hour)
	decidertest.For(t, customers).Given(opened("c1", "broadband", receivedAt), change("c1", "broadband", domain.ChangeClosed, closed)).
		When(route("c2", "broadband", at)).Then(opened("c2", "broadband", at))
}

func TestClosureAndReopenAreIndexedOnce(t *testing.T) {
	closed := receivedAt.Add(time.Hour)
	decidertest.For(t, customers).Given(opened("c1", "broadband", receivedAt)).
		When(domain.RecordClosure{ComplaintID: "c1", At: closed}).Then(change("c1", "broadband", domain.ChangeClosed, closed))
	decidertest.For(t, customers).Given(opened("c1", "broadband", receivedAt), change("c1", "broadband", domain.ChangeClosed, closed)).
		When(domain.RecordClosure{ComplaintID: "c1", At: closed}).ThenNothing()
	decidertest.For(t, customers).Given(opened("c1", "broadband", receivedAt)).
		When(domain.RecordReopen{ComplaintID: "c1", At: closed}).ThenNothing() // open already
	reopened := closed.Add(time.Hour)
	decidertest.For(t, customers).Given(opened("c1", "broadband", receivedAt), change("c1", "broadband", domain.ChangeClosed, closed)).
		When(domain.RecordReopen{ComplaintID: "c1", At: reopened}).Then(change("c1", "broadband", domain.ChangeReopened, reopened)).
		ThenState(func(t testing.TB, c domain.Customer) {
			if _, ok := c.OpenFor("broadband"); !ok {
				t.Errorf("not open again: %+v", c)
			}
		})
	decidertest.For(t, customers).When(domain.RecordClosure{ComplaintID: "unknown", At: closed}).ThenNothing()
}

func TestAnAbandonedOpeningNoLongerTakesSubmissions(t *testing.T) {
	at := receivedAt.Add(time.Minute)
	decidertest.For(t, customers).Given(opened("c1", "broadband", receivedAt), change("c1", "broadband", domain.ChangeAbandoned, at)).
		When(route("c2", "broadband", at)).Then(opened("c2", "broadband", at)).
		ThenState(func(t testing.TB, c domain.Customer) {
			if ids := c.ComplaintIDs(); len(ids) != 1 || ids[0] != "c2" {
				t.Errorf("complaints %v", ids)
			}
		})
}

func TestErasureIsRecordedOnceWithoutPersonalData(t *testing.T) {
	at := receivedAt.Add(time.Hour)
	erase := domain.ErasePersonalData{CustomerID: "cust-1", KeyID: "cust-1#00", ErasedBy: "admin:root", Reason: "customer-request", At: at}
	erased := &complaintsv1.CustomerPersonalDataErased{CustomerId: "cust-1", KeyId: "cust-1#00", ErasedBy: "admin:root",
		Reason: "customer-request", ErasedAt: timestamppb.New(at), ComplaintIds: []string{"c1", "c2"}}
	decidertest.For(t, customers).Given(opened("c1", "broadband", receivedAt), opened("c2", "tv", receivedAt)).
		When(erase).Then(erased).
		ThenState(func(t testing.TB, c domain.Customer) {
			if c.Status != domain.ErasedCustomer {
				t.Errorf("status %v", c.Status)
			}
		})
	decidertest.For(t, customers).Given(opened("c1", "broadband", receivedAt), opened("c2", "tv", receivedAt), erased).When(erase).ThenNothing()
	keyless := erase
	keyless.KeyID = ""
	decidertest.For(t, customers).Given(opened("c1", "broadband", receivedAt), erased).When(keyless).ThenNothing()
	decidertest.For(t, customers).When(erase).ThenError(domain.ErrUnknownCustomer)
}

func TestFingerprintsMatchNormalisedValuesAndNeedTheKey(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	a := domain.Fingerprint(key, " Ann@Example.COM ", "")
	if a != domain.Fingerprint(key, "ann@example.com", "+44 20 7946 0000") || len(a) != 64 {
		t.Fatalf("e-mail fingerprints differ: %s", a)
	}
	if domain.Fingerprint([]byte("another key, another fingerprint!"), "ann@example.com", "") == a {
		t.Fatal("the key does not change the fingerprint")
	}
	p := domain.Fingerprint(key, "", "+44 (0)20 7946-0000")
	if p != domain.Fingerprint(key, "", "+440207946 0000") || p == a {
		t.Fatalf("phone fingerprints: %s", p)
	}
	if domain.Fingerprint(key, "", "") != "" || domain.CustomerKey("", "") != "" ||
		domain.CustomerKey("c-1", a) != "c-1" || domain.CustomerKey("", a) != "fp-"+a {
		t.Fatal("customer keys")
	}
}

func TestARoutedSubmissionOpensOrRepeatsOnTheOpenComplaint(t *testing.T) {
	closedThenOpened := []proto.Message{opened("c0", "broadband", receivedAt), change("c0", "broadband", domain.ChangeClosed, receivedAt.Add(time.Hour))}
	decidertest.For(t, customers).Given(closedThenOpened...).When(route("c1", "broadband", receivedAt.Add(2*time.Hour))).
		ThenState(func(t testing.TB, c domain.Customer) {
			if r, ok := c.Route("c1", "broadband"); !ok || !r.Opens || r.RecontactOf != "c0" {
				t.Errorf("routing %+v %v, want c1 opened as a recontact of c0", r, ok)
			}
			if r, ok := c.Route("c2", "broadband"); !ok || r.Opens || r.RepeatOn.ID != "c1" {
				t.Errorf("routing of a second submission %+v %v, want a repeat contact on c1", r, ok)
			}
			if _, ok := c.Route("c3", "tv"); ok {
				t.Error("a submission the index has not routed is routed somewhere")
			}
		})
}

func TestAnOpeningIsWaitedForWhileInFlightThenAbandoned(t *testing.T) {
	k := domain.IndexedComplaint{ID: "c1", Standing: domain.Open, OpenedAt: receivedAt}
	if k.OpeningAbandoned(receivedAt.Add(domain.OpeningInFlight - time.Millisecond)) {
		t.Error("an opening still in flight is abandoned")
	}
	if !k.OpeningAbandoned(receivedAt.Add(domain.OpeningInFlight)) {
		t.Error("an opening older than the in-flight time is waited for")
	}
}

func TestAComplaintStandsClosedByItsLastClosureUnlessReopenedAfterIt(t *testing.T) {
	closedAt := func(h int) *complaintsv1.ComplaintClosed {
		return &complaintsv1.ComplaintClosed{ComplaintId: "c1", ClosedAt: timestamppb.New(receivedAt.Add(time.Duration(h) * time.Hour))}
	}
	reopened := &complaintsv1.CaseReopened{ComplaintId: "c1"}
	other := &complaintsv1.ComplaintAcknowledged{ComplaintId: "c1"}
	for _, tc := range []struct {
		name     string
		timeline []domain.TimelineEvent
		closed   bool
		id       string
		at       time.Time
	}{
		{"never closed", []domain.TimelineEvent{{ID: "e1", Event: other}}, false, "", time.Time{}},
		{"closed", []domain.TimelineEvent{{ID: "e1", Event: other}, {ID: "e2", Event: closedAt(1)}}, true, "e2", receivedAt.Add(time.Hour)},
		{"closed, then reopened", []domain.TimelineEvent{{ID: "e2", Event: closedAt(1)}, {ID: "e3", Event: reopened}}, false, "", time.Time{}},
		{"closed again after a reopening", []domain.TimelineEvent{{ID: "e2", Event: closedAt(1)}, {ID: "e3", Event: reopened}, {ID: "e4", Event: closedAt(5)}}, true, "e4", receivedAt.Add(5 * time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, closed := domain.Closure(tc.timeline)
			if closed != tc.closed || closed && (got.ID != tc.id || !got.At.Equal(tc.at)) {
				t.Errorf("Closure = %+v, %v; want %s at %v, %v", got, closed, tc.id, tc.at, tc.closed)
			}
		})
	}
}
