{{/* The release's name for every object; "gateway" itself when the release is called that. */}}
{{- define "gateway.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains "gateway" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-gateway" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "gateway.selectorLabels" -}}
app.kubernetes.io/name: gateway
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "gateway.labels" -}}
{{ include "gateway.selectorLabels" . }}
app.kubernetes.io/component: api-gateway
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "gateway.redis.fullname" -}}
{{- printf "%s-redis" (include "gateway.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gateway.redis.selectorLabels" -}}
app.kubernetes.io/name: redis
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "gateway.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "gateway.orgTokenSecret" -}}
{{- default (printf "%s-tokens" (include "gateway.fullname" .)) .Values.orgToken.existingSecret -}}
{{- end -}}

{{- define "gateway.adminTokenSecret" -}}
{{- default (printf "%s-tokens" (include "gateway.fullname" .)) .Values.adminToken.existingSecret -}}
{{- end -}}

{{/*
gateway.redisURL: where the budget lives, or "" for memory.
*/}}
{{- define "gateway.redisURL" -}}
{{- if .Values.redis.bundled.enabled -}}
{{- printf "redis://%s:6379/0" (include "gateway.redis.fullname" .) -}}
{{- else -}}
{{- .Values.redis.url -}}
{{- end -}}
{{- end -}}

{{/*
gateway.config: the values' config with what the chart owns set over it. Refuses
combinations that would overspend the budget.
*/}}
{{- define "gateway.config" -}}
{{- if .Values.autoscaling.enabled -}}
{{- fail "autoscaling.enabled: the chart has no HPA on purpose. redis.replicas must equal the pod count (each replica spends 1/redis.replicas of the budget while Redis is down), and an autoscaler would change the count behind its back. Scale with replicaCount instead." -}}
{{- end -}}
{{- if and .Values.redis.bundled.enabled .Values.redis.url -}}
{{- fail "redis.url and redis.bundled.enabled are both set: pick one (set redis.bundled.enabled=false to use an external Redis)" -}}
{{- end -}}
{{- $url := include "gateway.redisURL" . -}}
{{- $addrs := dig "redis" "addrs" list .Values.config -}}
{{- if and $url $addrs -}}
{{- fail "config.redis.addrs (Sentinel or Cluster) is set with redis.url or redis.bundled.enabled: pick one" -}}
{{- end -}}
{{- if and (not $url) (not $addrs) (gt (int .Values.replicaCount) 1) -}}
{{- fail "replicaCount > 1 without Redis: each replica would keep a whole budget of its own. Set redis.url, config.redis.addrs or redis.bundled.enabled=true, or replicaCount=1" -}}
{{- end -}}
{{- if and (not .Values.orgToken.existingSecret) (not .Values.orgToken.value) -}}
{{- fail "orgToken: set existingSecret (a Secret holding the org token) or value (pass it with --set-file orgToken.value=PATH)" -}}
{{- end -}}
{{- if and .Values.adminToken.enabled (not .Values.adminToken.existingSecret) (not .Values.adminToken.value) -}}
{{- fail "adminToken.enabled: set adminToken.existingSecret or adminToken.value" -}}
{{- end -}}
{{- $cfg := deepCopy .Values.config -}}
{{- $server := default dict $cfg.server -}}
{{- $_ := set $server "listen" (printf ":%d" (int .Values.service.port)) -}}
{{- $_ := set $server "admin_listen" (printf "0.0.0.0:%d" (int .Values.service.adminPort)) -}}
{{- $_ := set $cfg "server" $server -}}
{{- $redis := default dict $cfg.redis -}}
{{- if or $url $addrs -}}
{{- if $url -}}
{{- $_ := set $redis "url" $url -}}
{{- end -}}
{{- $_ := set $redis "replicas" (int .Values.replicaCount) -}}
{{- if .Values.redis.password.existingSecret -}}
{{- $_ := set $redis "password" (dict "token_env" .Values.redis.password.env) -}}
{{- end -}}
{{- $_ := set $cfg "redis" $redis -}}
{{- else -}}
{{- $_ := unset $cfg "redis" -}}
{{- end -}}
{{- if .Values.adminToken.enabled -}}
{{- $admin := default dict $cfg.admin -}}
{{- $_ := set $admin "token_env" .Values.adminToken.env -}}
{{- $_ := set $cfg "admin" $admin -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* The key of the org and admin tokens: the existing Secret's, or the created one's. */}}
{{- define "gateway.orgTokenKey" -}}
{{- if .Values.orgToken.existingSecret -}}{{ .Values.orgToken.secretKey }}{{- else -}}org-token{{- end -}}
{{- end -}}

{{- define "gateway.adminTokenKey" -}}
{{- if .Values.adminToken.existingSecret -}}{{ .Values.adminToken.secretKey }}{{- else -}}admin-token{{- end -}}
{{- end -}}
