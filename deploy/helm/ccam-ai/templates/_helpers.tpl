{{- define "ccam-ai.labels" -}}
app.kubernetes.io/name: ccam-ai
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}

{{/* Environment of every CCAM AI container: plain settings, then the secret ones. */}}
{{- define "ccam-ai.env" -}}
- name: HOST
  value: "0.0.0.0"
- name: PORT
  value: "8080"
- name: CCAM_DATA_DIR
  value: /var/lib/ccam
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- range .Values.secretEnv }}
- name: {{ . }}
  valueFrom:
    secretKeyRef: { name: {{ $.Values.existingSecret }}, key: {{ . }} }
{{- end }}
{{- end }}

{{- define "ccam-ai.volumes" -}}
- name: data
  emptyDir: {}
- name: ccam-export
  persistentVolumeClaim: { claimName: {{ .Values.ccamExport.existingClaim }}, readOnly: true }
{{- end }}

{{- define "ccam-ai.volumeMounts" -}}
- { name: data, mountPath: /var/lib/ccam }
- { name: ccam-export, mountPath: /srv/ccam, readOnly: true }
{{- end }}

{{- define "ccam-ai.securityContext" -}}
runAsNonRoot: true
runAsUser: 1000
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities: { drop: [ALL] }
{{- end }}
