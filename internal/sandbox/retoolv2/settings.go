package retoolv2

import (
	"net/http"

	"github.com/budgetgw/gateway/internal/sandbox/internal/jsonpatch"
)

// listObservability answers the document's 404 while nothing is configured.
func listObservability(a *retool, c *apiCall) *answer {
	if len(a.store.Items["observability"]) == 0 {
		return failure(http.StatusNotFound, "Observability is not configured")
	}
	return a.store.ListItems(a.store.Family("observability"), c)
}

// readSingle answers one-of-a-kind settings, or 404 with missing when absent.
func readSingle(key, missing string) handler {
	return func(a *retool, c *apiCall) *answer {
		if a.single[key] == nil {
			return failure(http.StatusNotFound, missing)
		}
		return a.OK(c, a.single[key])
	}
}

// deleteSingle removes settings; mustExist answers 404 when there were none.
func deleteSingle(key string, mustExist bool) handler {
	return func(a *retool, c *apiCall) *answer {
		if mustExist && a.single[key] == nil {
			return failure(http.StatusNotFound, "Nothing is configured")
		}
		a.single[key] = nil
		return a.OK(c, nil)
	}
}

func createSourceControl(a *retool, c *apiCall) *answer {
	if a.single["source_control_config"] != nil {
		return failure(http.StatusConflict, "Source control is already configured")
	}
	a.single["source_control_config"] = hideSourceControlSecrets(jsonpatch.Clone(c.Body["config"]).(map[string]any))
	return a.OK(c, a.single["source_control_config"])
}

// putSourceControl replaces the configuration: 201 if there was none.
func putSourceControl(a *retool, c *apiCall) *answer {
	status := http.StatusOK
	if a.single["source_control_config"] == nil {
		status = http.StatusCreated
	}
	a.single["source_control_config"] = hideSourceControlSecrets(jsonpatch.Clone(c.Body["config"]).(map[string]any))
	return a.answer(c, status, a.single["source_control_config"])
}

func putSourceControlSettings(a *retool, c *apiCall) *answer {
	settings, _ := c.Body["settings"].(map[string]any)
	return a.mergeSingle(c, "source_control_settings", settings)
}

// mergeSingle overlays fields on settings, keeping them valid.
func (a *retool) mergeSingle(c *apiCall, key string, fields map[string]any) *answer {
	next := jsonpatch.Clone(a.single[key]).(map[string]any)
	for k, v := range fields {
		next[k] = jsonpatch.Clone(v)
	}
	return a.storeSingle(c, key, next)
}

func (a *retool) storeSingle(c *apiCall, key string, next map[string]any) *answer {
	if err := itemSchema(c.Op.Responses[c.Op.Success()]).FirstObject().Check(next); err != nil {
		return failure(http.StatusBadRequest, "Invalid value: "+err.Error())
	}
	a.single[key] = next
	return a.OK(c, next)
}

func postSSO(a *retool, c *apiCall) *answer {
	a.single["sso_config"] = a.hideSSOSecrets(jsonpatch.Clone(c.Body["data"]).(map[string]any))
	return a.OK(c, a.single["sso_config"])
}

func patchOrganization(a *retool, c *apiCall) *answer {
	next := jsonpatch.Clone(a.single["organization"]).(map[string]any)
	if err := jsonpatch.Apply(next, c.Body["operations"]); err != nil {
		return failure(http.StatusBadRequest, err.Error())
	}
	if !jsonpatch.Equal(next["id"], a.single["organization"]["id"]) {
		return failure(http.StatusBadRequest, "id cannot be changed")
	}
	return a.storeSingle(c, "organization", next)
}

func putAISettings(a *retool, c *apiCall) *answer {
	return a.storeSingle(c, "ai_settings", jsonpatch.Clone(c.Body).(map[string]any))
}

// passedTest is what a connection test answers when the connection works.
func passedTest(a *retool, c *apiCall) *answer {
	return a.OK(c, map[string]any{"success": true})
}
