package api

import "time"

// Clock is one clock of a complaint: GET /v1/clocks/{id}.
type Clock struct {
	Name string `json:"name"`
	// Kind is "regulatory" (never pauses) or "internal".
	Kind string `json:"kind"`
	// Due is the due time now (moved by the time an internal clock was
	// paused).
	Due time.Time `json:"due"`
	// State is running, paused, met, breached or stopped (the complaint was
	// closed while it ran or was paused).
	State     string    `json:"state"`
	StartedAt time.Time `json:"started_at"`
	WarnAt    time.Time `json:"warn_at"`
	Warned    bool      `json:"warned"`
	// MetBy is what stops it: acknowledged, resolved, final-response,
	// human-contact.
	MetBy    string `json:"met_by"`
	Calendar string `json:"calendar,omitempty"`
	// PausedSeconds is how long it has been paused in all, resumed pauses.
	PausedSeconds float64    `json:"paused_seconds"`
	PausedAt      *time.Time `json:"paused_at,omitempty"`
	MetAt         *time.Time `json:"met_at,omitempty"`
	BreachedAt    *time.Time `json:"breached_at,omitempty"`
	// Late is set on a clock met after it breached.
	Late bool `json:"late"`
	// Window is set on a clock that is an opportunity closing rather than a
	// deadline (FCA summary resolution).
	Window bool `json:"window"`
}

// ClockEvent is one event of a complaint's clock stream, in order.
type ClockEvent struct {
	// Event is the event type without its package: "ClockStarted", ...
	Event string     `json:"event"`
	Clock string     `json:"clock,omitempty"`
	At    time.Time  `json:"at"`
	Due   *time.Time `json:"due,omitempty"`
}

// Clocks is GET /v1/clocks/{id}: the clocks of a complaint and what
// happened to them.
type Clocks struct {
	ComplaintID string       `json:"complaint_id"`
	Regime      string       `json:"regime"`
	Clocks      []Clock      `json:"clocks"`
	History     []ClockEvent `json:"history"`
}
