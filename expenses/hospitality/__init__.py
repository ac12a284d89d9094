"""Hospitality (业务招待费, seed 001): versioned policy, designated venues, pre-approval
(招待申请 / 紧急申请), the claim (报销) with the company / personal split, and the deduction
from sales. Lives inside the ``expenses`` app (models are imported by ``expenses.models``)."""
