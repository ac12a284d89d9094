"""市场部月例会 (seed 003, issue 20): the monthly pack and the minutes with decisions and actions."""
