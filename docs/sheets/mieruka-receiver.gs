/**
 * Mieruka → Google Sheets receiver (setup: docs/sheets/README.md).
 *
 * The hub posts one JSON object per clutter score (and, when hub.clutterWebhook.dailyUtilization
 * is on, one per machine and day). This web app appends one row per object to the tab
 * "Scores" (or "Utilization"), keyed by the object's `id`: a post the hub repeats after a
 * lost answer finds its id already there and adds nothing. A post without the right token
 * (the `token` in the URL's query, set as the script property TOKEN) is refused.
 *
 * Every answer is JSON: {ok:true, duplicate:false|true} or {ok:false, error:"...", retry?:true}.
 * Apps Script cannot send an HTTP error status, so the hub reads `ok` instead.
 */

var SHEETS = {
  score: {
    name: 'Scores',
    header: ['date', 'time', 'slot', 'bench', 'score', 'covered ratio', 'site', 'node', 'seq', 'id', 'image'],
    row: function (b) {
      if (!isText(b.ts) || !isText(b.site) || !isText(b.node) || !isNumber(b.seq) || !isNumber(b.score)) return null;
      var ts = String(b.ts); // local time with offset, e.g. 2025-11-24T17:00:00+09:00
      return [ts.slice(0, 10), ts.slice(11, 16), text(b.slot), text(b.name || b.node), b.score, isNumber(b.coveredRatio) ? b.coveredRatio : '', b.site, b.node, b.seq, idOf(b), text(b.imageUrl)];
    },
  },
  utilization: {
    name: 'Utilization',
    header: ['date', 'machine', 'utilization %', 'running h', 'idle h', 'off h', 'unknown h', 'site', 'node', 'id'],
    row: function (b) {
      if (!isText(b.date) || !isText(b.site) || !isNumber(b.utilizationPct)) return null;
      return [b.date, text(b.name || b.node), b.utilizationPct, hours(b.runningS), hours(b.idleS), hours(b.offS), hours(b.unknownS), b.site, text(b.node), idOf(b)];
    },
  },
};

/** The hub's own id, or one made from the fields it is built from. */
function idOf(b) {
  if (isText(b.id)) return String(b.id);
  return b.type === 'utilization' ? b.date + '/' + b.site + '/' + b.node : b.site + '/' + b.node + '/' + b.seq;
}

function doPost(e) {
  var token = PropertiesService.getScriptProperties().getProperty('TOKEN');
  if (!token) return answer({ ok: false, error: 'the script property TOKEN is not set' });
  if (!e || !e.parameter || e.parameter.token !== token) return answer({ ok: false, error: 'wrong or missing token' });
  var body;
  try {
    body = JSON.parse(e.postData.contents);
  } catch (err) {
    return answer({ ok: false, error: 'the body is not JSON' });
  }
  if (!body || typeof body !== 'object') return answer({ ok: false, error: 'the body is not a JSON object' });
  var kind = SHEETS[body.type === 'utilization' ? 'utilization' : 'score'];
  var values = kind.row(body);
  if (!values) return answer({ ok: false, error: 'fields missing for a ' + kind.name + ' row' });

  // One post at a time: two copies of one score arriving together must not both be appended.
  var lock = LockService.getScriptLock();
  if (!lock.tryLock(20000)) return answer({ ok: false, error: 'busy', retry: true });
  try {
    var sheet = sheetFor(kind);
    var idColumn = kind.header.indexOf('id') + 1;
    var duplicate = hasId(sheet, idColumn, values[idColumn - 1]);
    if (!duplicate) {
      sheet.appendRow(values);
      SpreadsheetApp.flush(); // written before the lock is released
    }
    return answer({ ok: true, duplicate: duplicate });
  } finally {
    lock.releaseLock();
  }
}

/** Opening the /exec URL in a browser shows that the web app answers (it tells nothing else). */
function doGet() {
  return answer({ ok: true, receiver: 'mieruka' });
}

function sheetFor(kind) {
  var book = SpreadsheetApp.getActiveSpreadsheet();
  var sheet = book.getSheetByName(kind.name);
  if (sheet) return sheet;
  sheet = book.insertSheet(kind.name);
  sheet.appendRow(kind.header);
  sheet.setFrozenRows(1);
  // Ids stay text: "1/2/3" must not become a date.
  sheet.getRange(1, kind.header.indexOf('id') + 1, sheet.getMaxRows(), 1).setNumberFormat('@');
  return sheet;
}

function hasId(sheet, column, id) {
  var last = sheet.getLastRow();
  if (last < 2) return false;
  var ids = sheet.getRange(2, column, last - 1, 1).getValues();
  for (var i = ids.length - 1; i >= 0; i--) {
    if (String(ids[i][0]) === id) return true;
  }
  return false;
}

function answer(object) {
  return ContentService.createTextOutput(JSON.stringify(object)).setMimeType(ContentService.MimeType.JSON);
}

function isText(v) {
  return typeof v === 'string' && v.length > 0;
}

function isNumber(v) {
  return typeof v === 'number' && isFinite(v);
}

/** Text as text: a name starting with = + - @ would otherwise run as a formula. */
function text(v) {
  var s = v === null || v === undefined ? '' : String(v);
  return /^[=+\-@]/.test(s) ? "'" + s : s;
}

function hours(seconds) {
  return isNumber(seconds) ? Math.round((seconds / 3600) * 100) / 100 : '';
}
