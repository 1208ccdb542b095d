package retoolv2

// envelope is the shape of every Retool error body.
type envelope struct {
	Success bool   `json:"success"`
	Message string `json:"message,omitempty"`
}

func failure(status int, message string) *answer {
	return &answer{Status: status, Body: envelope{Message: message}}
}
