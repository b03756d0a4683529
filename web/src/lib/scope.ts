/**
 * The counties, departments and service items a caller may pick in a filter: their scope only (the API
 * scopes every answer the same way, `api/auth.ts`; a city-level user picks any county, a user without
 * departments any department).
 */
import { useMe } from '../session';
import { useCatalog } from './queries';

export interface Option { value: string; label: string }

const options = (xs: ReadonlyArray<{ code: string; label: string }> | undefined): Option[] => (xs ?? []).map((x) => ({ value: x.code, label: x.label }));

export function useScopeOptions(): { counties: Option[]; departments: Option[]; items: Option[]; cityLevel: boolean; ready: boolean } {
  const me = useMe();
  const catalog = useCatalog();
  return {
    counties: me.scope.cityLevel ? options(catalog.data?.counties) : options(me.scope.counties),
    departments: me.scope.departments.length ? options(me.scope.departments) : options(catalog.data?.departments),
    items: options(catalog.data?.items),
    cityLevel: me.scope.cityLevel,
    ready: Boolean(catalog.data),
  };
}
