/**
 * Every action of a case as a button, for the caller (allowedActions of GET /v1/cases/:id): enabled
 * when the workflow would accept it now, disabled with the reason otherwise. A button opens the
 * action's form; the answer replaces the case view, a refusal (409) shows its reason.
 */
import { lazy, Suspense, useState } from 'react';
import { Button, Space, Tooltip } from 'antd';
import type { CaseAction } from '../../../domain/caseFlow';
import type { CaseView } from '../api/client';
import { allowedActions, type AllowedAction } from '../lib/queries';
import { Panel } from './Panel';

// The forms (date pickers, selects) load when a button is pressed: the worker's phone does not pay for them up front.
const ActionModal = lazy(() => import('./ActionForms'));

/** Actions with a form of their own elsewhere (the worker's visit page, the reviewer's page) may be left out here. */
/**
 * `hideForbidden`: leave out actions the caller's role or assignment never allows (403), e.g. on the
 * worker's phone; `title`: wrap the buttons in a card with that title (nothing at all when no action is left).
 */
export function CaseActions({ view, exclude = [], hideForbidden = false, title }: { view: CaseView; exclude?: CaseAction[]; hideForbidden?: boolean; title?: string }) {
  const [open, setOpen] = useState<AllowedAction | undefined>();
  const actions = allowedActions(view).filter((a) => !exclude.includes(a.action) && !(hideForbidden && !a.allowed && a.status === 403));
  if (actions.length === 0) return null;
  if (view.status.code !== 'open' && !actions.some((a) => a.allowed)) {
    const ended = <span className="muted">案件{view.status.label}，不再有可办理的操作。</span>;
    return title ? <Panel title={title}>{ended}</Panel> : ended;
  }
  const body = (
    <>
      <Space wrap className="big-actions" aria-label="案件操作">
        {actions.map((a) => {
          const button = (
            <Button key={a.action} type={a.allowed ? 'primary' : 'default'} disabled={!a.allowed} onClick={() => setOpen(a)}
              aria-describedby={a.allowed ? undefined : `why-${a.action}`}>
              {a.label}
            </Button>
          );
          return a.allowed ? button : (
            <Tooltip key={a.action} title={a.reason}>
              <span tabIndex={0} aria-label={`${a.label}（不可用：${a.reason ?? ''}）`}>{button}<span id={`why-${a.action}`} hidden>{a.reason}</span></span>
            </Tooltip>
          );
        })}
      </Space>
      {actions.some((a) => !a.allowed) && (
        <details style={{ marginTop: 8 }}>
          <summary style={{ cursor: 'pointer', color: '#595959' }}>为什么有些操作不可用？</summary>
          <ul style={{ margin: '8px 0', paddingInlineStart: 20 }}>
            {actions.filter((a) => !a.allowed).map((a) => <li key={a.action}><strong>{a.label}</strong>：{a.reason}</li>)}
          </ul>
        </details>
      )}
      {open && <Suspense fallback={null}><ActionModal view={view} action={open} onClose={() => setOpen(undefined)} /></Suspense>}
    </>
  );
  return title ? <Panel title={title}>{body}</Panel> : body;
}

