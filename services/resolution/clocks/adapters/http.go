package adapters

import (
	"errors"
	"net/http"
	"time"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/resolution/clocks/app"
	"github.com/complaintflow/complaintflow/services/resolution/clocks/domain"
)

// HTTP serves GET /v1/clocks/{id}.
type HTTP struct{ App *app.Clocks }

// Routes registers the routes.
func (h HTTP) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/clocks/{id}", auth.Require(h.show, auth.RoleAgent, auth.RoleAuditor))
}

func (h HTTP) show(w http.ResponseWriter, r *http.Request) {
	s, history, err := h.App.Show(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, app.ErrNoClocks):
		httpx.WriteProblem(w, r, httpx.NotFound("complaint "+r.PathValue("id")+" has no clocks (yet: they start moments after the complaint is received)"))
	case err != nil:
		httpx.WriteError(w, r, err)
	default:
		httpx.WriteJSON(w, http.StatusOK, View(s, history))
	}
}

func when(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// View is the wire form of a complaint's clocks.
func View(s domain.Clocks, history []app.HistoryEntry) api.Clocks {
	out := api.Clocks{ComplaintID: s.ComplaintID, Regime: s.Regime, Clocks: make([]api.Clock, 0, len(s.Clocks)), History: make([]api.ClockEvent, 0, len(history))}
	for _, c := range s.Clocks {
		kind := "internal"
		if c.Kind == complaintsv1.ClockKind_CLOCK_KIND_REGULATORY {
			kind = "regulatory"
		}
		v := api.Clock{
			Name: c.Name, Kind: kind, Due: c.Due, State: c.Status.String(), StartedAt: c.StartedAt, WarnAt: c.WarnAt,
			Warned: c.Warned, MetBy: c.MetBy, Calendar: c.Calendar, PausedSeconds: c.PausedTotal.Seconds(),
			MetAt: when(c.MetAt), BreachedAt: when(c.BreachedAt), Late: c.Late, Window: c.Window,
		}
		if c.Status == domain.Paused {
			v.PausedAt = when(c.PausedAt)
		}
		out.Clocks = append(out.Clocks, v)
	}
	for _, e := range history {
		out.History = append(out.History, api.ClockEvent{Event: e.Event, Clock: e.Clock, At: e.At, Due: when(e.Due)})
	}
	return out
}
