-- CreateIndex
CREATE INDEX "Report_dueAt_idx" ON "Report"("dueAt");

-- CreateIndex
CREATE INDEX "Report_acknowledgedAt_idx" ON "Report"("acknowledgedAt");

-- CreateIndex
CREATE INDEX "Report_resolvedAt_idx" ON "Report"("resolvedAt");

-- CreateIndex
CREATE INDEX "ReportEvent_toStatus_at_idx" ON "ReportEvent"("toStatus", "at");

