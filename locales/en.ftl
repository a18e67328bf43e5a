## Greenlane's web interface, in English. Every message here has its twin in zh.ftl
## (a test checks that both files define the same ids).

app-tagline = Environmental permits and pollution rights
skip-to-content = Skip to main content
nav-label = Main
nav-home = Home
nav-inbox = Inbox
nav-cases = Cases
nav-new-case = New application
nav-audit = Audit
nav-admin = Administration
sign-in = Sign in
sign-out = Sign out
footer-text = Greenlane · times are China Standard Time (UTC+8); deadlines count official working days.
optional = (optional)
choose-one = Choose one
not-given = Not given
search = Search
save = Save
cancel = Cancel
edit = Edit
delete = Delete
back-to = Back to { $what }

## Roles and kinds
role-applicant = Applicant
role-agency = EIA agency
role-reviewer = Reviewer
role-approver = Deciding official
role-market-operator = Market operator
role-auditor = Auditor
role-admin = Administrator
role-system = System
org-kind-enterprise = Enterprise
org-kind-agency = EIA agency
org-kind-bureau = Bureau

## Confirmations after a change
done-action = Done. The case has moved on; its new state is below.
done-created = Your application is saved as a draft. Check the details, add your documents, then submit it.
done-uploaded = The document is uploaded and recorded in the case's history.
done-view-saved = The view is saved.
done-view-deleted = The view is deleted.
done-org-added = The organisation is added.
done-user-added = The user is added.
done-user-updated = The user is updated.
done-grant-added = The agency can now act for the enterprise.
done-grant-revoked = The grant is revoked.
done-mail-requeued = The message is back in the queue.
done-timer-requeued = The deadline is back in line; it fires at once if it is due.
done-clock-moved = The clock is moved; what fell due has fired.

## Sign-in
sign-in-heading = Sign in to Greenlane
sign-in-lead = Use the e-mail address and password your administrator gave you.
sign-in-expired = Your session has ended. Sign in again to go on where you were.
sign-in-email-missing = Enter your e-mail address
sign-in-password-missing = Enter your password
sign-in-wrong = The e-mail address or the password is wrong
sign-in-too-many = Too many failed attempts. Try again in { $seconds } seconds.
field-email = E-mail address
field-password = Password
field-name = Name
field-comment = Comment
field-code = Code
field-code-hint = 2 to 32 characters: capital letters, digits, - or _
field-kind = Kind
field-roles = Roles
field-lang = Language of e-mails
field-lang-hint = The language in which this person receives e-mail.
field-password-initial = Password
field-password-hint = At least 10 characters. Leave it empty for a person who does not sign in with a password.

## Errors
error-summary-title = There is a problem
summary-item = { $label }: { $message }
error-prefix = Error:
error-status = Error { $status }
error-go-home = Go to your home page
error-not-found = Page not found
error-not-found-advice = The address may be mistyped, or the case is not one you can see. Check the address, or find the case from your home page or the case search.
error-forbidden = You cannot do this
error-forbidden-advice = Your role does not allow it. If you think it should, ask your administrator.
error-csrf = This form has expired
error-csrf-advice = For your safety, a form must come from a page of this site opened while you are signed in. Go back, reload the page, and send the form again.
error-conflict = Someone else got there first
error-conflict-advice = The case changed while you were looking at it. Open it again to see its new state.
error-same-actor = Another person must do this
error-same-actor-advice = The four-eyes rule applies: the person who proposed or submitted cannot also decide. Ask a colleague.
error-invalid = The request cannot be processed
error-invalid-advice = Go back and check what you entered.
error-too-large = The file is too large
error-too-large-advice = Send a smaller file, or split it into parts.
error-unsupported = This kind of file is not accepted
error-unsupported-advice = Send a PDF, an image (PNG, JPEG), a text or CSV file, a ZIP archive, or a Word or Excel document.
error-too-many = Too many attempts
error-too-many-advice = Wait a little, then try again.
error-bad-request = The request could not be read
error-bad-request-advice = Go back, reload the page and try again.
error-server = Something went wrong on our side
error-server-advice = Nothing you did caused this, and what was saved before is safe. Try again in a moment; if it keeps happening, tell your administrator the time it happened.

## Form messages
form-money = Enter an amount in yuan, like 12500000 or 12,500,000.50
form-not-number = Enter a number
form-not-whole-number = Enter a whole number
form-choose-one = Choose one of the options
form-coordinates = Enter both the longitude and the latitude as decimal degrees, like 107.39 and 29.70
form-polygon = Enter the polygon as at least three points, one "longitude, latitude" per line
form-quantities = Enter one "name = number" per line, like annual_output_t = 120000
form-date = Enter a date like 2026-03-31
form-datetime = Enter a date and time
hint-one-per-line = One per line.
hint-choose-all = Choose every one that applies.

## Home
home-title = Home
home-greeting = Welcome, { $name }
home-waiting = What waits for you
home-nothing-waiting = Nothing waits for you now. When the bureau asks you for something, it appears here and you get an e-mail.
home-start-new = Start a new application
home-asked = { $action }, { $when }
home-your-cases = Your cases
home-no-cases = You have no cases yet.
home-all-cases = All your cases
home-grants = EIA agencies acting for you
home-grants-lead = An agency you let act for your enterprise can prepare, file and follow your applications until you revoke it.
home-no-grants = No agency acts for you.
home-granted-on = since { $when }
home-grant-agency = Let this agency act for you
home-grant-button = Grant access
home-queue = Your queue
home-open-inbox = Open the full inbox
home-audit = Find a case
home-audit-link = Verify the audit log, and export a case's history
home-admin = Administration

## Tables
col-case = Case
col-state = Stage
col-deadline = Next deadline
col-actions = You can
col-org = Organisation
col-updated = Last change
col-submitted = Submitted
col-reference = Reference
tag-closed = Closed

## Deadlines
due-none = No running deadline
due-overdue = Overdue
due-soon = Due soon
days-left-working = { $n ->
    [one] 1 working day left
   *[other] { $n } working days left
}
days-left-calendar = { $n ->
    [one] 1 day left
   *[other] { $n } days left
}
days-over-working = { $n ->
    [one] 1 working day over
   *[other] { $n } working days over
}
days-over-calendar = { $n ->
    [one] 1 day over
   *[other] { $n } days over
}

## Inbox
inbox-title = Inbox
inbox-count = { $n ->
    [one] 1 case to act on
   *[other] { $n } cases to act on
}
inbox-results = Cases you can act on, most urgent first
inbox-empty = Nothing to do now. New work appears here as soon as it arrives.
inbox-empty-filtered = No case matches these filters.
inbox-due-within-invalid = Enter a number of days from 0 to 366
filters = Filters
filter-text = Project or case number
filter-workflow = Procedure
filter-state = Stage
filter-org = Organisation
filter-any = Any
filter-overdue = Only overdue
filter-due-within = Due within (days)
filter-apply = Apply
filter-clear = Clear filters
views = Saved views
views-none = Save the filters you use often and come back to them in one click.
views-name = Name of this view
views-save = Save this view

## Case search
cases-title = Cases
cases-search-label = Project, plan or business name
cases-submitted-from = Submitted from
cases-submitted-to = Submitted to
cases-csv = Download as CSV
cases-none = No case matches.
cases-showing = Cases { $range } of { $total }
cases-page-invalid = There is no such page
pager-label = Pages
pager-prev = Previous page
pager-next = Next page
pager-page = Page { $page } of { $pages }

## One case
case-title = Case
case-version = version { $v }
case-state = Stage
case-submitted = Submitted
case-not-submitted = Not yet submitted
case-opened-by = Opened by
case-id = Case number
case-actions = What you can do
case-no-actions = Nothing is open to you in this stage. You will be told when that changes.
case-closed = This case is closed.
case-edits-hint = Sending this also sends any changes to the details.
case-change-details = Change the details
case-details = Details
case-documents = Documents
case-no-documents = No documents yet.
case-timeline = History
case-export = Export:
case-clocks = Deadlines
case-no-clocks = No deadline has started.
case-graph = The procedure
case-graph-title = The stages of this procedure, the current one marked
case-graph-as-list = The stages as a list
case-conflict = Someone acted on this case while you had it open, so your form was not applied.
case-conflict-now = It is now at the stage “{ $state }”. Check what changed below, then decide again.
case-refused-forbidden = You cannot take this action on this case: your role does not allow it, or the four-eyes rule asks for another person.
case-refused-state = This action cannot be taken at this stage of the case.
case-edit-title = Change the details
case-edit-lead = Correct what needs correcting. Your changes are sent with “{ $action }”.
graph-current = now
graph-visited = done
graph-final = final
timeline-created = Opened the case
timeline-uploaded = Uploaded a document
timeline-relied-on = Documents relied on
timeline-hash = Entry hash
timeline-clock-running = { $clock }: { $used } of { $limit } working days used
timeline-clock-paused = { $clock }: stopped at { $used } of { $limit } working days
colon = {": "}
timeline-deadline = Deadline reached: { $clock }, due { $due }.
timeline-clock-running-calendar = { $clock }: { $used } of { $limit } days used
timeline-clock-paused-calendar = { $clock }: stopped at { $used } of { $limit } days
clock-overdue = Overdue
clock-paused = Stopped
clock-stopped = Ended
clock-provisional = Provisional
clock-used-working = { $used } of { $limit } working days used
clock-used-calendar = { $used } of { $limit } days used
clock-due = last day { $date }
doc-name = Document
doc-version = Version
doc-size = Size
doc-uploaded = Uploaded
doc-superseded = (older version)
upload-title = Add a document
upload-file = File
upload-hint = PDF, PNG, JPEG, text, CSV, ZIP, Word or Excel, up to 20 MB.
upload-name = Name
upload-name-hint = To replace a document, give the same name: it becomes its next version. Otherwise the file's name is used.
upload-button = Upload
upload-choose-file = Choose a file to upload
upload-unsupported = This kind of file is not accepted: send a PDF, PNG, JPEG, text, CSV, ZIP, Word or Excel file
upload-too-large = The file is larger than { $mb } MB
site-point = { $lon }, { $lat } (longitude, latitude)
site-polygon = An area of { $n } points
siting-title = Waterfront siting check
siting-nearest = Nearest river: { $river }, { $distance } away.
siting-no-flags = The site breaks no waterfront siting rule.
siting-flag = Rule broken
siting-flag-advice = An application whose site breaks a rule may be refused on that ground. You can still submit it.
siting-rule-industry-1km = No new heavy-chemical, textile, papermaking or other polluting industrial project within 1 km of the Yangtze or a major tributary
siting-rule-park-5km = No new industrial park within 5 km of the Yangtze or a major tributary
river-chang-jiang = Yangtze (Chang Jiang)
river-jialing = Jialing River
river-wu = Wu River

## Case data
data-project-name = Project name
data-credit-code = Unified social credit code
data-credit-code-hint = The enterprise's 18-character code, as on its business licence.
data-industry-code = Industry code
data-industry-code-hint = GB/T 4754 code: a letter and 2 to 4 digits, like C2221.
data-project-type = Project type
data-project-type-hint = As the classification catalogue names it, like paper or pulp.
data-category = Assessment category
data-place = Place
data-place-hint = The district and town or street, like Fuling District, Baitao Street.
data-location = Site
data-location-hint = A point (longitude and latitude, decimal degrees, WGS 84) or the outline of the site as a polygon.
data-investment-fen = Total investment (yuan)
data-investment-fen-hint = In yuan, like 12500000.
data-quantities = Quantities
data-quantities-hint = One "name = number" per line. Names the catalogue uses:
data-features = Process features
data-features-hint = One per line.
data-sensitive-area = Sensitive area
data-sensitive-area-hint = Whether the site lies in an environmentally sensitive area, and of which class.
data-pre-consultation = Pre-consultation case number
data-pre-consultation-hint = If the bureau answered a pre-consultation for this project.
data-supersedes = Replaces approved case number
data-supersedes-hint = For a major change to an approved project.
data-plan-name = Plan name
data-plan-type = Kind of plan
data-area = Planned area
data-area-hint = The outline of the planned area as a polygon.
data-area-km2 = Area (km²)
data-question = Your question
data-approved-case = Approved case number
data-approved-on = Approved on
data-construction-start = Construction starts on
data-reason = Reason
data-business-name = Business name
data-business-kind = Kind of business
data-business-kind-hint = As the pre-licence catalogue names it, like chemical or catering.
data-checklist = Pre-licence items
opt-category-report = Report (full assessment)
opt-category-report-form = Report form
opt-category-registration = Registration form (filing only)
opt-plan-type-industrial-park = Industrial park
opt-plan-type-river-basin = River basin
opt-plan-type-urban = Urban plan
opt-plan-type-transport = Transport
opt-plan-type-other = Other
opt-sensitive-area-none = Not in a sensitive area
opt-sensitive-area-1 = Class 1: nature reserve, scenic or heritage site, drinking-water source
opt-sensitive-area-2 = Class 2: farmland, wetland, fish spawning ground
opt-sensitive-area-3 = Class 3: residential, medical, education or office area
site-mode-point = A point
site-mode-polygon = An outline (polygon)
site-lon = Longitude
site-lat = Latitude
site-polygon-label = Outline
site-polygon-hint = One "longitude, latitude" per line, at least three points. Used when you choose an outline.

## Starting an application
new-title = Start a new application
new-lead = First find out which assessment your project needs. The catalogue decides it from the industry, the size and the site.
new-classify = Describe the project
new-classify-lead = The answers go into your application; you can change them later.
new-project-type-hint = If the catalogue distinguishes your project, like:
new-features-hint = One per line, if any of these applies:
new-classify-button = Find the category
new-result = What the catalogue demands
new-result-empty = The answer appears here once you describe the project.
new-result-category = Category: { $category }
new-result-workflow = Procedure: { $workflow }
new-result-row = Catalogue row
new-result-condition = Because
new-result-raised = Raised by the site
new-result-edition = Catalogue edition
new-continue = Continue: { $workflow }
new-not-covered = No row of the catalogue covers this industry and project type. Ask the bureau which category applies before you apply.
new-ask-bureau = Ask the bureau (pre-consultation)
new-direct = Other applications
new-back = Back to the start
new-form-eyebrow = New application
new-form-title = New application
new-form-lead = Fill in the details. Nothing is sent to the bureau yet: your application is saved as a draft, and you submit it after adding your documents.
new-form-classified = What you told us in the classification step is filled in below.
new-on-behalf = Applying for
new-on-behalf-hint = The enterprises that let your agency act for them.
new-on-behalf-refused = This enterprise has not let your agency act for it
new-check-siting = Check the site against the waterfront rules
new-siting-needs-site = Enter the site first
new-create = Save as a draft
new-create-hint = You can still change everything before you submit.
start-hint-eia-report = For projects with a possibly major impact: full assessment.
start-hint-eia-report-form = For projects with a minor impact.
start-hint-eia-registration = For projects with a very small impact: filed online at once.
start-hint-planning-eia = For a plan (an industrial park, a river basin), reviewed by a panel.
start-hint-pre-consultation = Ask the bureau in writing before you apply.
start-hint-eia-rereview = When construction starts more than 5 years after the approval.
start-hint-business-licence = A business licence and the approvals it needs first.

## Administration
admin-title = Administration
admin-sections = Sections
admin-users = Users
admin-organisations = Organisations
admin-grants = Agency grants
admin-calendars = Calendars
admin-outbox = Outgoing e-mail
admin-clock = Clock
admin-add-user = Add a user
admin-add-org = Add an organisation
admin-add-grant = Let an agency act for an enterprise
admin-no-password = no password
admin-already-exists = This already exists
admin-credit-code-hint = Required for an enterprise.
admin-grants-lead = An enterprise may let an EIA agency prepare and file its applications. The agency then sees and acts on the enterprise's cases until the grant is revoked.
admin-no-grants = No grants yet.
admin-agency = Agency
admin-enterprise = Enterprise
admin-granted = Granted
admin-grant-active = Active
admin-grant-revoked = Revoked
admin-revoke = Revoke
admin-calendar-version = Calendar in force: { $version }.
admin-calendar-note = A year not listed counts weekends only, and deadlines computed from it are marked provisional.
admin-year = Year
admin-days-off = Days off
admin-make-up = Make-up working days
admin-source = Source
admin-papers = State Council notices
admin-calendar-upload = Add or correct a year
admin-calendar-file = The year's calendar (JSON)
admin-calendar-file-hint = The holiday-cn format is accepted. Every open deadline is recomputed at once.
admin-calendar-button = Upload and recompute
admin-calendar-not-json = The file is not JSON
admin-calendar-done = { $year } is in force. { $recomputed } open deadlines recomputed, { $moved } moved.
admin-no-mail = No message here.
admin-clock-now = The server's time: { $now }.
admin-clock-set = Set the clock to
admin-clock-set-hint = China Standard Time. The clock never goes back.
admin-clock-set-button = Set
admin-clock-advance = Move it forward by (hours)
admin-clock-advance-hint = Whole hours, up to a year.
admin-clock-advance-button = Move forward
admin-clock-hours = Enter a whole number of hours from 1 to 8784
admin-clock-system = The server runs on the system clock. Start it with GREENLANE_CLOCK=manual to move time by hand.
admin-user-title = User
admin-back = Back to the users
admin-new-password = New password
admin-new-password-hint = Leave empty to keep the current one. A new password signs the person out everywhere.
admin-timers = Deadlines that failed
admin-timers-lead = A deadline whose action failed is set aside so that every other deadline still fires. Correct the cause (the reason is given), then put it back in line: it fires at once if it is due.
admin-no-failed-timers = Every deadline fired as it should.
timer-case = Case
timer-clock = Clock
timer-due = Due
timer-why = Why it failed
timer-retry = Fire again
timer-kind-warning = warning
timer-kind-expiry = expiry
mail-failed = Failed
mail-pending = Waiting
mail-sent = Sent
mail-to = To
mail-subject = Subject
mail-attempts = Attempts
mail-last-error = Last error
mail-retry = Send again
mail-case = the case

## Audit
audit-title = Audit
audit-lead = Every change is an entry in a chain of SHA-256 hashes, one chain per case. Verifying recomputes every chain from its first entry and checks that each case ends where its last entry says.
audit-verify = Verify every chain now
audit-holds = Every chain holds
audit-broken = A chain is broken
audit-entry = Entry
audit-problem = Problem
audit-counted = { $cases } cases and { $entries } entries checked.
audit-export = Export a case's history
audit-export-lead = Find the case, then use the JSON or CSV link above its history.

## Validation messages from the service (ids made from the English text)
err-required = required
err-unknown-field = unknown field
err-must-be-a-json-object = must be a JSON object
err-must-be-a-string = must be a string
err-must-be-a-non-empty-string = must be a non-empty string
err-must-be-n-to-n-characters = must be { $n1 } to { $n2 } characters
err-n-to-n-characters = { $n1 } to { $n2 } characters
err-n-to-n-characters-without-slashes = { $n1 } to { $n2 } characters, without slashes
err-must-be-text-of-n-to-n-characters = must be text of { $n1 } to { $n2 } characters
err-at-most-n-characters = at most { $n1 } characters
err-at-least-n-characters = at least { $n1 } characters
err-needs-at-least-n-item-s = needs at least { $n1 } item(s)
err-must-be-a-list-of-strings = must be a list of strings
err-items-must-be-non-empty-strings = items must be non-empty strings
err-must-be-a-whole-number = must be a whole number
err-must-be-true-or-false = must be true or false
err-must-be-n-characters-got-n = must be { $n1 } characters, got { $n2 }
err-check-character-should-be-q-got-q = check character should be { $q1 }, got { $q2 }
err-must-be-a-gb-t-n-code-a-letter-a-t-and-n-to-n-digits-e-g-c-n = must be a GB/T 4754 code: a letter A-T and 2 to 4 digits, like C1713
err-a-gb-t-n-code-such-as-c-n = a GB/T 4754 code, like C2614
err-character-n-q-is-not-allowed-digits-and-upper-case-letters-except-i-o-s-v-z = character { $n1 } ({ $q1 }) is not allowed: use digits and capital letters except I, O, S, V and Z
err-re-review-is-for-construction-starting-more-than-n-years-after-approval-eia-law-art-n = re-review is for construction starting more than 5 years after approval (EIA Law art. 24)
err-must-be-a-whole-non-negative-number-of-fen = must be a whole, non-negative number of fen
err-must-be-a-geojson-polygon = must be a GeoJSON Polygon
err-must-be-a-geojson-point-or-polygon = must be a GeoJSON Point or Polygon
err-a-polygon-needs-at-least-one-ring = a Polygon needs at least one ring
err-each-polygon-ring-needs-at-least-n-positions = each Polygon ring needs at least { $n1 } positions
err-each-polygon-ring-must-end-where-it-starts = each Polygon ring must end where it starts
err-a-positive-number = a positive number
err-n-n-or-n = { $n1 }, { $n2 } or { $n3 }
err-an-iso-date-yyyy-mm-dd = a date like 2026-03-31
err-workflow-q-takes-only-q = this procedure takes only { $q2 }
err-must-be-an-object-of-named-numbers = must be named numbers
err-is-empty = is empty
err-at-least-one-role = at least one role
err-not-an-e-mail-address = not an e-mail address
err-q-or-q = { $q1 } or { $q2 }
err-no-organisation-q = no organisation { $q1 }
err-q-is-not-an-eia-agency = { $q1 } is not an EIA agency
err-an-enterprise-needs-its-unified-social-credit-code = an enterprise needs its unified social credit code
err-n-to-n-characters-upper-case-letters-digits-q-or-q = 2 to 32 characters: upper-case letters, digits, - or _
err-the-clock-does-not-go-backwards-it-is-n-n-n-n-n-n-utc = the clock does not go back
err-must-not-be-negative = must not be negative
err-the-process-includes-q = the process includes { $q1 }
err-q-is-at-least-n = { $q1 } is at least { $n1 }
err-in-every-case = in every case
err-the-site-is-in-a-class-n-sensitive-area-which-raises-it-from-q = the site is in a class { $n1 } sensitive area, which raises it from { $q1 }
err-must-be-between-n-and-n = must be between { $n1 } and { $n2 }

## Public notices
nav-public = Public notices
public-title = Public notices
public-publisher = Chongqing Ecology and Environment Bureau
public-lead = The notices the law requires the bureau to publish: applications accepted for environmental impact assessment, proposed decisions, decisions and registration filings. During a notice's period anyone may comment.
public-kinds = Kinds of notice
public-search = Search the notices
public-search-text = Project or enterprise
public-search-place = District or place
public-from = Published from
public-to = Published until
public-csv = Download CSV
public-feed = Atom feed
public-count = { $n ->
    [0] No notice matches.
    [one] One notice.
   *[other] { $n } notices.
}
public-col-notice = Notice
public-col-published = Published
public-col-period = Period
public-open = Open for comments
notice-kind-all = All
notice-kind-acceptance = Acceptance notice
notice-kind-proposed-decision = Proposed decision
notice-kind-decision = Decision announcement
notice-kind-filing = Registration filing
notice-lead-acceptance = The bureau has accepted this application for environmental impact assessment. The public version of the assessment is published below; comments are welcome during the period.
notice-lead-proposed-decision = The bureau proposes the decision below. The applicant and interested parties may request a hearing within 5 working days; comments are welcome during the period.
notice-lead-decision = The bureau has decided on this application.
notice-lead-filing = This environmental impact registration form has been filed with the bureau.
notice-facts = The project
notice-enterprise = Enterprise
notice-agency = EIA agency
notice-received = Application received
notice-published = Published
notice-reference = Reference number
notice-period-dates = { $first } to { $last }
notice-period-before = begins on its first day
notice-period-left = { $n ->
    [one] last day
   *[other] { $n } days left
}
notice-period-closed = ended
notice-proposed = The proposed decision
notice-decision = The decision
notice-comments-received = Comments received from the public: { $n }. How they were handled:
notice-hearing-right = The applicant and interested parties have the right to request a hearing within 5 working days of this notice (Administrative Licensing Law art. 46-47).
notice-rights = Anyone whose rights this decision affects may apply for administrative review within 60 days of learning of it, or bring a suit before a people's court within 6 months.
notice-documents = Documents
notice-document-public-version = Public version of the assessment
notice-document-version = version { $v }
notice-proof = Proof of publication
notice-proof-text = This notice was published by entry { $seq } of the case's audit chain. Its SHA-256:
notice-verify = Check this notice against the chain
notice-contact = Questions: Chongqing Ecology and Environment Bureau, EIA division, 023-8898 0000, eia@cqeeb.example.
comment-title = Comment on this notice
case-public = Public notices
case-comments = Comments from the public
case-no-comments = No comment received.
comment-handling = How it was handled
comment-handling-record = Record how it was handled
comment-handling-change = Change how it was handled
comment-handling-save = Save
comment-handling-empty = Say how the comment was handled.
done-comment-handled = Recorded how the comment was handled.
timeline-public-comment = Comment from the public
timeline-comment-handled = Handling of a public comment recorded
comment-how = Your comment goes to the reviewers with the case. It is not published. Write up to 2,000 characters.
comment-name = Your name
comment-contact = How to reach you
comment-contact-hint = A telephone number or e-mail address, if you want an answer.
comment-text = Your comment
comment-text-hint = Up to 2,000 characters.
comment-send = Send the comment
comment-sent = Thank you. Your comment has been recorded with the case.
comment-period-closed = The period for comments on this notice has ended.
comment-too-many = Too many comments from your address on this notice in the last hour. Please try again in { $minutes } minutes.
verify-title = Check a notice
verify-what = Every entry of the case's audit chain, from the first to entry { $seq } which published this notice, was recomputed just now. The notice's entry has the SHA-256:
verify-holds = The chain holds.
verify-holds-detail = { $n } entries recomputed; the notice is exactly what the entry published.
verify-broken = The chain does not hold.
verify-broken-at = It breaks at entry { $seq }.
verify-how = Each entry's SHA-256 covers its content and the hash of the entry before it, so no entry up to this one can be changed, removed or reordered without the check failing.
