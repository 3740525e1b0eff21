-- CreateIndex
CREATE INDEX "Report_closedAt_idx" ON "Report"("closedAt");

