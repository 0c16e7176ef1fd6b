{{/* Name of the chart, overridable. */}}
{{- define "mcp-warden.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fully qualified name: release-chart unless the release name already contains it. */}}
{{- define "mcp-warden.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "mcp-warden.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{ include "mcp-warden.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Labels that select the pods (immutable once deployed). */}}
{{- define "mcp-warden.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mcp-warden.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The Secret holding the session keys. */}}
{{- define "mcp-warden.secretName" -}}
{{- if .Values.sessionKeys.existingSecret -}}
{{- .Values.sessionKeys.existingSecret -}}
{{- else -}}
{{- printf "%s-session-keys" (include "mcp-warden.fullname" .) -}}
{{- end -}}
{{- end -}}
