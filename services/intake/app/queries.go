package app

import (
	"context"
	"errors"

	"google.golang.org/protobuf/proto"

	"github.com/complaintflow/complaintflow/services/intake/domain"
	"github.com/complaintflow/complaintflow/services/platform/decider"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/pii"
)

// Step is one event of a complaint's timeline.
type Step struct {
	Event   eventlog.RecordedEvent
	Message proto.Message
}

// ErrComplaintNotFound is returned for an unknown complaint.
var ErrComplaintNotFound = decider.NotFound("complaint not found")

// Timeline returns every step of a complaint in log order.
func (a *Intake) Timeline(ctx context.Context, complaintID string) ([]Step, error) {
	if !eventlog.ValidID(complaintID) {
		return nil, ErrComplaintNotFound
	}
	events, err := a.log.ReadTimeline(ctx, complaintID)
	if err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return nil, ErrComplaintNotFound
	}
	steps := make([]Step, 0, len(events))
	for _, e := range events {
		m, err := es.Decode(e)
		if err != nil {
			return nil, err
		}
		steps = append(steps, Step{Event: e, Message: m})
	}
	return steps, nil
}

// View returns the complaint's current view, folded from its timeline.
func (a *Intake) View(ctx context.Context, complaintID string) (domain.View, error) {
	steps, err := a.Timeline(ctx, complaintID)
	if err != nil {
		return domain.View{}, err
	}
	var v domain.View
	for _, s := range steps {
		v = domain.EvolveView(v, s.Message)
	}
	if !v.Found() {
		return v, ErrComplaintNotFound
	}
	return v, nil
}

// OpenPersonalData opens a sealed value; an erased customer reads as
// "[erased]".
func (a *Intake) OpenPersonalData(ctx context.Context, v domain.View) (name, email string, err error) {
	if name, err = a.vault.Open(ctx, v.CustomerName); errors.Is(err, pii.ErrForgotten) {
		return "[erased]", "[erased]", nil
	} else if err != nil {
		return "", "", err
	}
	if email, err = a.vault.Open(ctx, v.CustomerEmail); errors.Is(err, pii.ErrForgotten) {
		return "[erased]", "[erased]", nil
	}
	return name, email, err
}
