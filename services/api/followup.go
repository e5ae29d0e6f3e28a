package api

// FollowUp is follow-up's view of a complaint: GET /v1/followups/{id}.
type FollowUp struct {
	ComplaintID string `json:"complaint_id"`
	Status      string `json:"status"`
	CSAT        int32  `json:"csat,omitempty"`
	Effort      int32  `json:"effort,omitempty"`
	Resolved    *bool  `json:"resolved,omitempty"`
	Comment     string `json:"comment,omitempty"`
}

// AnswerRequest is the body of POST /v1/followups/{id}/answer. CSAT (1 to
// 5), Effort (1 to 7) and Resolved are required; a nil one is left out so
// the API names it. Use Ptr to fill them.
type AnswerRequest struct {
	CSAT     *int32 `json:"csat,omitempty"`
	Effort   *int32 `json:"effort,omitempty"`
	Resolved *bool  `json:"resolved,omitempty"`
	Comment  string `json:"comment,omitempty"`
}
