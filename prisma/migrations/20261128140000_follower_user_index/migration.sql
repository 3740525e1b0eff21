-- CreateIndex
CREATE INDEX "ReportFollower_userId_idx" ON "ReportFollower"("userId");

