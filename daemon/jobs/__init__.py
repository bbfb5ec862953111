"""The persistent priority queue: job records, leasing, requeueing, and the retry policy."""
