package retoolv2

import (
	"encoding/json"
	"net/http"
)

// answer is a decided response: a status and a JSON body (nil: none).
type answer struct {
	status int
	body   any
}

// envelope is the shape of every Retool error body.
type envelope struct {
	Success bool   `json:"success"`
	Message string `json:"message,omitempty"`
}

func failure(status int, message string) *answer {
	return &answer{status: status, body: envelope{Message: message}}
}

// encode is the answer as it goes on the wire.
func (a *answer) encode() (int, []byte) {
	if a.body == nil {
		return a.status, nil
	}
	b, err := json.Marshal(a.body)
	if err != nil {
		// Bodies are built from decoded JSON and fixed structs; this cannot happen.
		return http.StatusInternalServerError, []byte(`{"success":false,"message":"encode"}`)
	}
	return a.status, b
}
