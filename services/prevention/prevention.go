// Package prevention is the prevention service: projections over the whole
// log that show process owners which causes produce complaints.
package prevention

import (
	"context"
	"net/http"
	"time"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/platform/projection"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// DefaultAddr is where prevention listens when run on its own.
const DefaultAddr = "127.0.0.1:8085"

// ServiceName is prevention's name.
const ServiceName = "prevention"

// rootCauses adapts the pure counts to the projection runner.
type rootCauses struct{ *domain.RootCauseCounts }

func (r rootCauses) Apply(e eventlog.RecordedEvent) error {
	m, err := es.Decode(e)
	if err != nil {
		return err
	}
	r.RootCauseCounts.Apply(m)
	return nil
}

// New returns the factory the host runs prevention with.
func New() host.Factory {
	return func(d host.Deps) (host.Service, error) {
		p, err := projection.New(context.Background(), d.Log, d.JetStream, rootCauses{domain.NewRootCauseCounts()}, projection.Options{
			Name:   "prevention-root-causes",
			Filter: eventlog.Filter{Categories: []string{"case"}, EventTypes: []string{es.TypeOf(&complaintsv1.CaseResolved{})}},
		})
		if err != nil {
			return nil, err
		}
		return &service{report: p, goFn: d.Go}, nil
	}
}

type service struct {
	report *projection.Projection[rootCauses]
	goFn   func(func())
}

func (s *service) Name() string { return ServiceName }

func (s *service) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/reports/root-causes", s.rootCauses)
}

func (s *service) Start(ctx context.Context) error {
	s.goFn(func() { _ = s.report.Run(ctx) })
	return nil
}

func (s *service) rootCauses(w http.ResponseWriter, r *http.Request) {
	var out struct {
		GeneratedAt time.Time           `json:"generated_at"`
		Position    uint64              `json:"log_position"`
		Total       int64               `json:"total"`
		Causes      []domain.CauseShare `json:"causes"`
	}
	s.report.Read(func(state rootCauses, pos eventlog.Position) {
		out.Total, out.Causes, out.Position = state.Total, state.Pareto(), uint64(pos)
	})
	out.GeneratedAt = time.Now().UTC()
	httpx.WriteJSON(w, http.StatusOK, out)
}
