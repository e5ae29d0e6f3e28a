package adapters

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/projection"
	"github.com/complaintflow/complaintflow/services/prevention/app"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// ActionViewsProjection names the projection of systemic issues and
// preventive actions, and its snapshot.
const ActionViewsProjection = "prevention-issues-and-actions"

type issueVersion struct {
	At   time.Time         `json:"at"`
	View api.SystemicIssue `json:"view"`
}

type actionVersion struct {
	At   time.Time            `json:"at"`
	View api.PreventiveAction `json:"view"`
}

// viewsFold keeps every version of every issue and action, stamped with the
// time its event was recorded: the views as of any instant are the last
// versions recorded by then. Issues and actions are few (tens a year), so
// the whole history is kept.
type viewsFold struct {
	Issues  map[string][]issueVersion  `json:"issues"`
	Actions map[string][]actionVersion `json:"actions"`
}

func (f *viewsFold) Apply(e eventlog.RecordedEvent) error {
	m, err := es.Decode(e)
	if err != nil {
		return err
	}
	at := e.Metadata.RecordedAt
	switch m := m.(type) {
	case *complaintsv1.SystemicIssueDetected:
		f.issue(m.GetIssueId(), at, m)
	case *complaintsv1.SystemicIssueClosed:
		f.issue(m.GetIssueId(), at, m)
	case *complaintsv1.PreventiveActionOpened:
		f.action(m.GetActionId(), at, m)
		if m.GetIssueId() != "" {
			f.issue(m.GetIssueId(), at, m)
		}
	case *complaintsv1.PreventiveActionOverdue:
		f.action(m.GetActionId(), at, m)
	case *complaintsv1.PreventiveActionCompleted:
		f.action(m.GetActionId(), at, m)
	case *complaintsv1.PreventiveActionEvaluated:
		f.action(m.GetActionId(), at, m)
	}
	return nil
}

func (f *viewsFold) issue(id string, at time.Time, e proto.Message) {
	vs := f.Issues[id]
	var last api.SystemicIssue
	if len(vs) > 0 {
		last = vs[len(vs)-1].View
	}
	f.Issues[id] = append(vs, issueVersion{At: at, View: app.ApplyToIssue(last, e)})
}

func (f *viewsFold) action(id string, at time.Time, e proto.Message) {
	vs := f.Actions[id]
	var last api.PreventiveAction
	if len(vs) > 0 {
		last = vs[len(vs)-1].View
	}
	f.Actions[id] = append(vs, actionVersion{At: at, View: app.ApplyToAction(last, e)})
}

// ActionViews follows prevention's own streams into the views of systemic
// issues and preventive actions; it is the app's PreventionViews.
type ActionViews struct {
	p *projection.Projection[*viewsFold]
}

// NewActionViews prepares the projection, resuming from its snapshot.
func NewActionViews(ctx context.Context, log eventlog.Log, js jetstream.JetStream) (*ActionViews, error) {
	p, err := projection.New(ctx, log, js, &viewsFold{Issues: map[string][]issueVersion{}, Actions: map[string][]actionVersion{}}, projection.Options{
		Name:   ActionViewsProjection,
		Filter: eventlog.Filter{Categories: []string{domain.AggregateCategory}},
	})
	if err != nil {
		return nil, err
	}
	return &ActionViews{p: p}, nil
}

// Run follows the log until ctx is done.
func (v *ActionViews) Run(ctx context.Context) error { return v.p.Run(ctx) }

// Position is the log position of the last event of prevention's own
// streams the views hold.
func (v *ActionViews) Position() eventlog.Position { return v.p.Position() }

// Issues implements app.PreventionViews.
func (v *ActionViews) Issues(asOf time.Time) []api.SystemicIssue {
	out := []api.SystemicIssue{}
	v.p.Read(func(f *viewsFold, _ eventlog.Position) {
		for _, vs := range f.Issues {
			if i := lastBy(len(vs), func(i int) time.Time { return vs[i].At }, asOf); i >= 0 && vs[i].View.ID != "" {
				out = append(out, cloneIssue(vs[i].View))
			}
		}
	})
	slices.SortFunc(out, func(a, b api.SystemicIssue) int {
		if c := b.DetectedAt.Compare(a.DetectedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Actions implements app.PreventionViews.
func (v *ActionViews) Actions(asOf time.Time) []api.PreventiveAction {
	out := []api.PreventiveAction{}
	v.EachAction(asOf, func(a api.PreventiveAction) { out = append(out, a) })
	slices.SortFunc(out, func(a, b api.PreventiveAction) int {
		if c := b.OpenedAt.Compare(a.OpenedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// EachAction implements app.PreventionViews.
func (v *ActionViews) EachAction(asOf time.Time, fn func(api.PreventiveAction)) {
	v.p.Read(func(f *viewsFold, _ eventlog.Position) {
		for _, vs := range f.Actions {
			if i := lastBy(len(vs), func(i int) time.Time { return vs[i].At }, asOf); i >= 0 {
				fn(vs[i].View)
			}
		}
	})
}

// IssueActions implements app.PreventionViews.
func (v *ActionViews) IssueActions(issueID string) (out []string) {
	v.p.Read(func(f *viewsFold, _ eventlog.Position) {
		if vs := f.Issues[issueID]; len(vs) > 0 {
			out = slices.Clone(vs[len(vs)-1].View.Actions)
		}
	})
	return out
}

// lastBy is the index of the last version recorded at or before asOf (the
// last one when asOf is zero), -1 when none was.
func lastBy(n int, at func(int) time.Time, asOf time.Time) int {
	i := n - 1
	for i >= 0 && !asOf.IsZero() && at(i).After(asOf) {
		i--
	}
	return i
}

func cloneIssue(v api.SystemicIssue) api.SystemicIssue {
	v.ComplaintIDs = slices.Clone(v.ComplaintIDs)
	v.Actions = slices.Clone(v.Actions)
	return v
}
