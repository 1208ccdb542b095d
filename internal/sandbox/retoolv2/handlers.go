package retoolv2

// specialHandlers answer the operations that do more than the generic
// create, list, read, update and delete of a family, keyed by method and
// template. bind fails if one names an operation the document lacks.
func specialHandlers() map[string]handler {
	return map[string]handler{
		"GET /api/v2/users/{userId}":                                                 readUser,
		"PUT /api/v2/users/reset2fa/{userId}":                                        resetTwoFactor,
		"POST /api/v2/users/{userId}/user_attributes":                                setAttribute("users"),
		"DELETE /api/v2/users/{userId}/user_attributes/{attributeName}":              setAttribute("users"),
		"POST /api/v2/user_invites/{userInviteId}/user_attributes":                   setAttribute("user_invites"),
		"DELETE /api/v2/user_invites/{userInviteId}/user_attributes/{attributeName}": setAttribute("user_invites"),
		"GET /api/v2/groups/{groupId}":                                               readGroup,
		"POST /api/v2/groups/{groupId}/members":                                      addMembers,
		"DELETE /api/v2/groups/{groupId}/members/{userSid}":                          removeMember,
		"POST /api/v2/groups/{groupId}/user_invites":                                 addGroupInvites,
		"DELETE /api/v2/groups/{groupId}/user_invites/{userInviteId}":                removeGroupInvite,
		"POST /api/v2/apps/cloneApp":                                                 cloneApp,
		"POST /api/v2/spaces/copyElements":                                           copyElements,
		"PUT /api/v2/app_themes":                                                     upsertTheme,
		"POST /api/v2/access_tokens":                                                 createAccessToken,
		"GET /api/v2/observability/config":                                           listObservability,
		"GET /api/v2/source_control/config":                                          readSingle("source_control_config", "Source control is not configured"),
		"POST /api/v2/source_control/config":                                         createSourceControl,
		"PUT /api/v2/source_control/config":                                          putSourceControl,
		"DELETE /api/v2/source_control/config":                                       deleteSingle("source_control_config", true),
		"GET /api/v2/source_control/settings":                                        readSingle("source_control_settings", ""),
		"PUT /api/v2/source_control/settings":                                        putSourceControlSettings,
		"GET /api/v2/sso/config":                                                     readSingle("sso_config", "SSO is not configured for this organization"),
		"POST /api/v2/sso/config":                                                    postSSO,
		"DELETE /api/v2/sso/config":                                                  deleteSingle("sso_config", false),
		"GET /api/v2/organization/":                                                  readSingle("organization", ""),
		"PATCH /api/v2/organization/":                                                patchOrganization,
		"GET /api/v2/organization/ai_settings":                                       readSingle("ai_settings", ""),
		"PUT /api/v2/organization/ai_settings":                                       putAISettings,
		"GET /api/v2/source_control/test_connection":                                 passedTest,
		"POST /api/v2/source_control/test_deploy":                                    passedTest,
		"POST /api/v2/observability/provider/{provider}/test":                        passedTest,
		"PATCH /api/v2/user_tasks/{taskId}/submit":                                   finishTask("submitted"),
		"PATCH /api/v2/user_tasks/{taskId}/cancel":                                   finishTask("cancelled"),
		"PATCH /api/v2/user_tasks/{taskId}/reassign":                                 reassignTask,
		"GET /api/v2/role_permissions/role_grants":                                   listGrants,
		"GET /api/v2/role_permissions/role_grants/{subjectType}/{subjectId}":         listGrants,
		"POST /api/v2/role_permissions/remove_role_grants_for_subject/":              removeGrants,
		"POST /api/v2/permissions/grant":                                             grantPermission,
		"POST /api/v2/permissions/revoke":                                            revokePermission,
		"POST /api/v2/permissions/listObjects":                                       listPermissions,
		"GET /api/v2/permissions/accessList/{objectType}/{objectId}":                 accessList,
	}
}

// item finds the item of a family named by a path parameter.
func (a *retool) item(c *apiCall, famName, param string) (map[string]any, int, *answer) {
	id := c.params[param]
	for i, it := range a.stores[famName] {
		if idString(it["id"]) == id {
			return it, i, nil
		}
	}
	return nil, -1, notFound(a.family(famName).noun, id)
}
